package node

import (
	"errors"
	"net/http"
	"time"

	"github.com/hashicorp/raft"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/genie-cluster/genie/fsm"
	"github.com/genie-cluster/genie/transport"
)

// metrics is the node's Prometheus registry. Each node has its own, so
// several nodes can live in one test process.
type metrics struct {
	registry       *prometheus.Registry
	submitLatency  *prometheus.HistogramVec
	jobsFinished   *prometheus.CounterVec
	jobsAssigned   prometheus.Counter
	jobsReassigned prometheus.Counter
	jobsLost       prometheus.Counter
	jobsRetired    prometheus.Counter
	s3Fetches      *prometheus.CounterVec
	forwardCalls   prometheus.Counter
	forwardFailed  prometheus.Counter
	forwarded      prometheus.Counter
}

func newMetrics(n *Node) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		submitLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "genie",
			Name:      "submit_latency_seconds",
			Help:      "Time from receiving a job submission to answering it, by result.",
			Buckets:   []float64{.0005, .001, .002, .004, .008, .016, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"result"}),
		jobsFinished: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "genie",
			Name:      "jobs_finished_total",
			Help:      "Jobs that reached a terminal status since this node started, by status.",
		}, []string{"status"}),
	}
	m.jobsAssigned = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: "genie", Name: "jobs_assigned_total",
		Help: "Queued jobs this node, as leader, placed on nodes as capacity freed.",
	})
	m.jobsReassigned = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: "genie", Name: "jobs_requeued_total",
		Help: "Unstarted jobs of lost nodes this node, as leader, sent back to the queue.",
	})
	m.jobsLost = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: "genie", Name: "jobs_lost_total",
		Help: "Started jobs of lost nodes this node, as leader, ended FAILED.",
	})
	m.jobsRetired = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: "genie", Name: "jobs_retired_total",
		Help: "Finished jobs this node, as leader, retired from the state past -job-retention.",
	})
	m.s3Fetches = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "genie", Name: "s3_fetches_total",
		Help: "s3:// files staged for jobs, by whether the node's cache had them.",
	}, []string{"cache"})
	m.forwardCalls = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: "genie", Name: "forward_calls_total",
		Help: "Calls this node made to the leader to commit writes, each carrying one or more.",
	})
	m.forwardFailed = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: "genie", Name: "forward_calls_failed_total",
		Help: "Calls to the leader that got no answer for their writes (unreachable, refused whole); the writes are tried again.",
	})
	m.forwarded = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: "genie", Name: "forwarded_entries_total",
		Help: "Writes this node sent the leader to commit; over forward_calls_total, the entries a call carries.",
	})
	m.s3Fetches.WithLabelValues("hit")
	m.s3Fetches.WithLabelValues("miss")
	// Every series exists from the start, so dashboards see zeros, not gaps.
	for _, result := range []string{"accepted", "rejected", "unavailable"} {
		m.submitLatency.WithLabelValues(result)
	}
	for _, st := range fsm.AllJobStatuses {
		if st.Terminal() {
			m.jobsFinished.WithLabelValues(string(st))
		}
	}
	m.registry.MustRegister(
		m.submitLatency,
		m.jobsFinished,
		m.jobsAssigned,
		m.jobsReassigned,
		m.jobsLost,
		m.jobsRetired,
		m.s3Fetches,
		m.forwardCalls,
		m.forwardFailed,
		m.forwarded,
		&stateCollector{n: n},
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: "genie", Name: "jobs_retired",
			Help: "Job ids retired from the state, kept compactly so they stay taken.",
		}, func() float64 { return float64(n.State().RetiredCount()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: "genie", Name: "http_blocking_queries",
			Help: "API reads waiting, as blocking queries, for what they read to change.",
		}, func() float64 { return float64(n.waitingQueries.Load()) }),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

func (m *metrics) observeSubmit(start time.Time, err error) {
	m.submitLatency.WithLabelValues(submitResult(err)).Observe(time.Since(start).Seconds())
}

func (m *metrics) jobChanged(j, prev *fsm.Job) {
	if j.Status.Terminal() && (prev == nil || !prev.Status.Terminal()) {
		m.jobsFinished.WithLabelValues(string(j.Status)).Inc()
	}
}

func (m *metrics) s3Fetched(hit bool) {
	if hit {
		m.s3Fetches.WithLabelValues("hit").Inc()
	} else {
		m.s3Fetches.WithLabelValues("miss").Inc()
	}
}

func submitResult(err error) string {
	var unavailable *transport.UnavailableError
	switch {
	case err == nil:
		return "accepted"
	case errors.As(err, &unavailable):
		return "unavailable"
	}
	return "rejected"
}

// stateCollector reads gauges from the replicated state and raft at scrape
// time, so nothing is counted twice or drifts.
type stateCollector struct {
	n *Node
}

var (
	descJobs = prometheus.NewDesc("genie_jobs", "Jobs in the replicated state, by status.",
		[]string{"status"}, nil)
	descRunning = prometheus.NewDesc("genie_node_running_jobs", "Jobs this node's runner is running or setting up.",
		nil, nil)
	descSlots = prometheus.NewDesc("genie_node_job_slots", "Job slots on this node: used and max.",
		[]string{"kind"}, nil)
	descMemory = prometheus.NewDesc("genie_node_job_memory_mb", "Job memory on this node in MB: used and max.",
		[]string{"kind"}, nil)
	descQueueLength = prometheus.NewDesc("genie_queue_length", "Jobs waiting in the cluster's queue for capacity.",
		nil, nil)
	descQueueOldest = prometheus.NewDesc("genie_queue_oldest_wait_seconds", "How long the oldest queued job has waited; 0 when none waits.",
		nil, nil)
	descRaftState = prometheus.NewDesc("genie_raft_state", "1 for this node's current raft state.",
		[]string{"state"}, nil)
	descRaftIndex = prometheus.NewDesc("genie_raft_index", "Raft log indexes on this node.",
		[]string{"kind"}, nil)
	descRaftPeers = prometheus.NewDesc("genie_raft_peers", "Servers in the raft configuration.",
		nil, nil)
	descMembers = prometheus.NewDesc("genie_gossip_members", "Nodes in the gossip ring, by status.",
		[]string{"status"}, nil)
)

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descJobs, descRunning, descSlots, descMemory, descQueueLength, descQueueOldest, descRaftState, descRaftIndex, descRaftPeers, descMembers} {
		ch <- d
	}
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	n := c.n
	if n.fsm == nil {
		return
	}
	state := n.State()
	for status, count := range state.JobCounts() {
		ch <- prometheus.MustNewConstMetric(descJobs, prometheus.GaugeValue, float64(count), string(status))
	}
	ch <- prometheus.MustNewConstMetric(descQueueLength, prometheus.GaugeValue, float64(state.QueueLength()))
	wait := 0.0
	if oldest := state.OldestQueued(); oldest != 0 {
		wait = max(0, time.Since(time.UnixMilli(oldest)).Seconds())
	}
	ch <- prometheus.MustNewConstMetric(descQueueOldest, prometheus.GaugeValue, wait)
	if n.runner != nil {
		ch <- prometheus.MustNewConstMetric(descRunning, prometheus.GaugeValue, float64(n.runner.Active()))
	}
	jobs, mem := state.NodeUsage(n.id)
	ch <- prometheus.MustNewConstMetric(descSlots, prometheus.GaugeValue, float64(jobs), "used")
	ch <- prometheus.MustNewConstMetric(descSlots, prometheus.GaugeValue, float64(n.config.MaxJobs), "max")
	ch <- prometheus.MustNewConstMetric(descMemory, prometheus.GaugeValue, float64(mem), "used")
	ch <- prometheus.MustNewConstMetric(descMemory, prometheus.GaugeValue, float64(n.config.MaxMemory), "max")
	if n.members != nil {
		counts := map[string]int{"alive": 0, "suspect": 0, "dead": 0, "left": 0}
		for _, m := range n.members.list() {
			counts[m.Status]++
		}
		for status, c := range counts {
			ch <- prometheus.MustNewConstMetric(descMembers, prometheus.GaugeValue, float64(c), status)
		}
	}
	if n.raft == nil {
		return
	}
	current := n.raft.State()
	for _, s := range []raft.RaftState{raft.Follower, raft.Candidate, raft.Leader, raft.Shutdown} {
		v := 0.0
		if s == current {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(descRaftState, prometheus.GaugeValue, v, s.String())
	}
	ch <- prometheus.MustNewConstMetric(descRaftIndex, prometheus.GaugeValue, float64(n.raft.CommitIndex()), "commit")
	ch <- prometheus.MustNewConstMetric(descRaftIndex, prometheus.GaugeValue, float64(n.raft.AppliedIndex()), "applied")
	ch <- prometheus.MustNewConstMetric(descRaftIndex, prometheus.GaugeValue, float64(n.raft.LastIndex()), "last")
	if f := n.raft.GetConfiguration(); f.Error() == nil {
		ch <- prometheus.MustNewConstMetric(descRaftPeers, prometheus.GaugeValue, float64(len(f.Configuration().Servers)))
	}
}
