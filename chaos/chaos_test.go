//go:build chaos

package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/genie-cluster/genie/api"
)

const (
	clusterSize = 3
	// nodeLostGrace is the nodes' -node-lost-grace: short, so a fault
	// outlasts it and the leader settles the jobs of the node it hit.
	nodeLostGrace = 3 * time.Second
	// downTime is how long a killed, paused or cut-off node stays so:
	// past gossip's failure detection and the grace period.
	downTime = 12 * time.Second
	// recoveryBound is how soon after a fault writes must succeed again.
	recoveryBound = 30 * time.Second
	// settleBound is how long acknowledged jobs have to end after a round.
	settleBound = 2 * time.Minute
	warmUp      = 3 * time.Second
	// maxJobs is each node's -max-jobs: the workload submits more than the
	// cluster runs (3 workers, about 7 jobs/s in all, each job 2 s; 9
	// slots, 6 with a node down), so the queue grows through every fault
	// and the scheduler works while nodes die and leaders change.
	maxJobs = 3
	// queueSampleEvery is how often the queue's length is read around a
	// fault.
	queueSampleEvery = 500 * time.Millisecond
)

// suite is one run of the chaos suite.
type suite struct {
	t      *testing.T
	d      *dockerCluster
	w      *workload
	rng    *rand.Rand
	rounds []*round
	out    string // where a failing run's histories go
	once   sync.Once
}

// fault is one kind of failure: inject starts it and returns how to end it;
// the node or nodes stay hit for down in between.
type fault struct {
	name   string
	down   time.Duration
	inject func(s *suite, r *round) (heal func())
}

var faults = []fault{
	{"kill -9 leader", downTime / 3, func(s *suite, r *round) func() {
		leader := s.leader()
		s.d.kill(leader)
		return func() { s.d.start(leader) }
	}},
	{"kill -9 follower with jobs", downTime, func(s *suite, r *round) func() {
		victim := s.busiestFollower()
		s.d.kill(victim)
		return func() { s.d.start(victim) }
	}},
	{"pause follower", downTime, func(s *suite, r *round) func() {
		victim := s.busiestFollower()
		s.d.pause(victim)
		return func() { s.d.unpause(victim) }
	}},
	{"cut off follower", downTime, func(s *suite, r *round) func() {
		victim := s.busiestFollower()
		s.d.cut(victim)
		checked := s.checkCutOff(r, victim, false)
		return func() { <-checked; s.d.heal(victim) }
	}},
	{"cut off leader (minority)", downTime, func(s *suite, r *round) func() {
		leader := s.leader()
		s.d.cut(leader)
		checked := s.checkCutOff(r, leader, true)
		return func() { <-checked; s.d.heal(leader) }
	}},
	{"kill -9 all, restart", 0, func(s *suite, r *round) func() {
		nodes := s.d.nodes()
		for _, n := range nodes {
			s.d.kill(n)
		}
		return func() {
			for _, n := range nodes {
				s.d.start(n)
			}
		}
	}},
	{"rolling restart", 0, func(s *suite, r *round) func() {
		return func() {
			for _, n := range s.d.nodes() {
				s.d.restart(n)
				s.waitHealthy(r)
			}
		}
	}},
}

func TestChaos(t *testing.T) {
	reps := 2
	if v := os.Getenv("GENIE_CHAOS_REPS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("GENIE_CHAOS_REPS=%q: want a positive number", v)
		}
		reps = n
	}
	s := &suite{t: t, rng: rand.New(rand.NewSource(time.Now().UnixNano()))}
	s.out = filepath.Join("..", ".tmp", "chaos-"+time.Now().Format("20060102-150405"))
	s.d = newDockerCluster(t, clusterSize)
	t.Cleanup(s.d.down)
	// Runs before the cluster goes down, however the test ends.
	t.Cleanup(s.report)
	s.w = &workload{start: time.Now(), client: s.d.client}

	boot := &round{Fault: "start"}
	s.waitHealthy(boot)
	s.register()

	for rep := 0; rep < reps; rep++ {
		for _, f := range faults {
			s.runRound(f)
		}
	}
	s.finalCheck()
}

// runRound runs the workload through one fault and checks the round.
func (s *suite) runRound(f fault) {
	r := &round{Index: len(s.rounds) + 1, Fault: f.name}
	s.rounds = append(s.rounds, r)
	s.t.Logf("round %d: %s", r.Index, f.name)
	s.createKeys(r)
	s.w.setURLs(s.urls())

	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.w.run(ctx, r); close(done) }()
	s.hold(warmUp)

	// Sampled from just before the fault: with every node down there is
	// no one to ask during it.
	sampled := s.sampleQueue(r)
	heal := f.inject(s, r)
	recovered := make(chan time.Duration, 1)
	go s.probeWrites(ctx, time.Now(), recovered)
	s.hold(f.down)
	heal()
	sampled()
	switch {
	case r.QueueMin < 0:
		r.problem("no node told the queue's length during the fault")
	case r.QueueMax == 0:
		r.problem("the queue was empty all through the fault: the workload did not exceed the capacity")
	}
	s.waitHealthy(r)
	select {
	case d := <-recovered:
		r.Recovery = d
	case <-time.After(recoveryBound):
		r.Recovery = -1
	}
	if r.Recovery < 0 || r.Recovery > recoveryBound {
		r.problem("writes did not resume within %s", recoveryBound)
	}
	s.w.setURLs(s.urls())
	s.hold(warmUp)
	stop()
	<-done

	s.checkJobs(r)
	s.checkRegistry(r)
}

// sampleQueue reads the cluster's queue length from any node that answers
// until the returned func is called, and keeps the least and the most it
// saw in r.
func (s *suite) sampleQueue(r *round) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	r.QueueMin = -1
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			for _, u := range s.urls() {
				var members []api.Member
				if s.d.client.getJSON(u+"/v1/agent/members", &members) != nil || len(members) == 0 {
					continue
				}
				q := members[0].QueuedJobs
				r.mu.Lock()
				if r.QueueMin < 0 || q < r.QueueMin {
					r.QueueMin = q
				}
				r.QueueMax = max(r.QueueMax, q)
				r.mu.Unlock()
				break
			}
			pause(ctx, queueSampleEvery)
		}
	}()
	return func() { cancel(); <-done }
}

// hold lets a fault (or the load before and after it) last d.
func (s *suite) hold(d time.Duration) { pause(context.Background(), d) }

// urls are the client addresses of the running nodes.
func (s *suite) urls() []string {
	var out []string
	for _, n := range s.d.nodes() {
		if n.ClientIP != "" {
			out = append(out, n.url())
		}
	}
	return out
}

// leader finds the node that leads now.
func (s *suite) leader() node {
	s.t.Helper()
	var leader node
	found := waitUntil(recoveryBound, 100*time.Millisecond, func() bool {
		for _, n := range s.d.nodes() {
			var self api.AgentSelf
			if n.ClientIP != "" && s.d.client.getJSON(n.url()+"/v1/agent/self", &self) == nil && strings.EqualFold(self.RaftState, "leader") {
				leader = n
				return true
			}
		}
		return false
	})
	if !found {
		s.t.Fatalf("no leader within %s", recoveryBound)
	}
	return leader
}

// busiestFollower is the follower running the most jobs.
func (s *suite) busiestFollower() node {
	leader := s.leader()
	var members []api.Member
	if err := s.d.client.getJSON(leader.url()+"/v1/agent/members", &members); err != nil {
		s.t.Fatal(err)
	}
	running := map[string]int{}
	for _, m := range members {
		running[m.Name] = m.RunningJobs
	}
	var best node
	for _, n := range s.d.nodes() {
		if n.ID != leader.ID && (best.ID == "" || running[n.Host] > running[best.Host]) {
			best = n
		}
	}
	return best
}

// waitHealthy waits until every container answers, one leader leads them
// all as voters, and gossip has every node alive.
func (s *suite) waitHealthy(r *round) {
	s.t.Helper()
	var why string
	if waitUntil(2*time.Minute, 200*time.Millisecond, func() bool { why = s.unhealthy(); return why == "" }) {
		return
	}
	r.problem("cluster not healthy after 2m: %s", why)
	s.fail(fmt.Sprintf("round %d (%s): cluster not healthy: %s", r.Index, r.Fault, why))
}

func (s *suite) unhealthy() string {
	nodes := s.d.nodes()
	leaders := map[string]bool{}
	for _, n := range nodes {
		var self api.AgentSelf
		if n.ClientIP == "" {
			return n.Name + " is not running"
		}
		if err := s.d.client.getJSON(n.url()+"/v1/agent/self", &self); err != nil {
			return n.Name + ": " + err.Error()
		}
		if self.LeaderID == "" {
			return n.Name + " knows no leader"
		}
		leaders[self.LeaderID] = true
	}
	if len(leaders) != 1 {
		return fmt.Sprintf("nodes name %d leaders", len(leaders))
	}
	var peers []api.RaftPeer
	if err := s.d.client.getJSON(nodes[0].url()+"/v1/operator/raft/peers", &peers); err != nil {
		return err.Error()
	}
	voters := 0
	for _, p := range peers {
		if p.Voter {
			voters++
		}
	}
	if voters != len(nodes) || len(peers) != len(nodes) {
		return fmt.Sprintf("%d raft peers, %d voters, want %d", len(peers), voters, len(nodes))
	}
	var members []api.Member
	if err := s.d.client.getJSON(nodes[0].url()+"/v1/agent/members", &members); err != nil {
		return err.Error()
	}
	alive := 0
	for _, m := range members {
		if m.Status == "alive" {
			alive++
		}
	}
	if alive != len(nodes) {
		return fmt.Sprintf("%d members alive, want %d", alive, len(nodes))
	}
	return ""
}

// mustWrite retries a write through the running nodes until one takes it.
func (s *suite) mustWrite(method, path string, body interface{}, ok ...int) {
	s.t.Helper()
	var last reply
	done := waitUntil(recoveryBound, 200*time.Millisecond, func() bool {
		for _, u := range s.urls() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			last = s.d.client.call(ctx, method, u+path, body)
			cancel()
			if last.verdict() == answered || slices.Contains(ok, last.code) {
				return true
			}
		}
		return false
	})
	if !done {
		s.t.Fatalf("%s %s: %s", method, path, last)
	}
}

func cluster(id string, tags ...string) map[string]interface{} {
	return map[string]interface{}{"id": id, "name": id, "user": "chaos", "version": "1", "status": "UP", "tags": tags}
}

// register creates what the jobs run on.
func (s *suite) register() {
	s.mustWrite(http.MethodPost, "/api/v3/clusters", cluster("chaos", "sched:chaos"), http.StatusConflict)
	s.mustWrite(http.MethodPost, "/api/v3/commands", map[string]interface{}{
		"id": "sh", "name": "sh", "user": "chaos", "version": "1", "status": "ACTIVE",
		"tags": []string{"type:shell"}, "executable": "/bin/sh -c",
	}, http.StatusConflict)
}

// createKeys creates the round's clusters and waits until every node has
// them, so no worker meets a missing key.
func (s *suite) createKeys(r *round) {
	for k := 0; k < registryKeys; k++ {
		key := fmt.Sprintf("reg-%d-%d", r.Index, k)
		s.mustWrite(http.MethodPost, "/api/v3/clusters", cluster(key), http.StatusConflict)
		r.keys = append(r.keys, key)
	}
	for _, u := range s.urls() {
		for _, key := range r.keys {
			var c api.Cluster
			if !waitUntil(recoveryBound, 50*time.Millisecond, func() bool { return s.d.client.getJSON(u+"/api/v3/clusters/"+key, &c) == nil }) {
				s.t.Fatalf("%s never saw cluster %s", u, key)
			}
		}
	}
}

// probeWrites writes through every node at once, over and over, from the
// fault on, and reports how long it took until a write succeeded: a node
// that hangs (paused, cut off) does not hold up the others.
func (s *suite) probeWrites(ctx context.Context, since time.Time, done chan<- time.Duration) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var once sync.Once
	var wg sync.WaitGroup
	for w, u := range *s.w.urls.Load() {
		wg.Add(1)
		go func(w int, u string) {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				c, stop := context.WithTimeout(ctx, 10*time.Second)
				started := time.Now()
				rep := s.d.client.call(c, http.MethodPost, u+"/api/v3/clusters", cluster(fmt.Sprintf("probe-%d-%d-%d", since.UnixNano(), w, i)))
				stop()
				// Only a write that began after the fault counts.
				if rep.verdict() == answered && started.After(since) {
					once.Do(func() { done <- time.Since(since); cancel() })
					return
				}
				pause(ctx, 100*time.Millisecond)
			}
		}(w, u)
	}
	wg.Wait()
}

// checkCutOff checks a node cut off from its peers, in the background: it
// still answers reads, refuses writes with 503 and Retry-After (never a
// success), and, when it led, steps down within 5 s. The channel closes
// when the checks are done.
func (s *suite) checkCutOff(r *round, n node, wasLeader bool) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		steppedDown := func() bool {
			var self api.AgentSelf
			return s.d.client.getJSON(n.url()+"/v1/agent/self", &self) == nil && !strings.EqualFold(self.RaftState, "leader")
		}
		if wasLeader && !waitUntil(5*time.Second, 50*time.Millisecond, steppedDown) {
			r.problem("the leader cut off into the minority still leads after 5s")
		}
		var c api.Cluster
		if err := s.d.client.getJSON(n.url()+"/api/v3/clusters/chaos", &c); err != nil {
			r.problem("a node cut off does not serve reads: %v", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		rep := s.d.client.call(ctx, http.MethodPost, n.url()+"/api/v3/clusters", cluster(fmt.Sprintf("cut-%d", r.Index)))
		if rep.verdict() != unavailable {
			r.problem("a write to a node cut off answered %s, want 503 with Retry-After", rep)
		}
	}()
	return done
}

// jobStatus reads a job through any of the nodes at urls; found is false
// when none knows it. Callers look the nodes up once for many jobs: that
// takes a docker call per node, far longer than the reads.
func (s *suite) jobStatus(urls []string, id string) (job api.Job, found bool) {
	for _, u := range urls {
		if err := s.d.client.getJSON(u+"/api/v3/jobs/"+id, &job); err == nil {
			return job, true
		}
	}
	return job, false
}

// checkJobs waits until every acknowledged job of the round has ended and
// counts the lost and the duplicated.
func (s *suite) checkJobs(r *round) {
	pending := map[string]*jobRecord{}
	for _, j := range r.jobs {
		if j.Acked {
			pending[j.ID] = j
		}
	}
	settle := func() {
		urls := s.urls()
		for id, j := range pending {
			job, found := s.jobStatus(urls, id)
			if found && job.Status.Terminal() {
				j.Final, j.Msg = string(job.Status), job.StatusMsg
				delete(pending, id)
			}
		}
	}
	waitUntil(settleBound, 500*time.Millisecond, func() bool { settle(); return len(pending) == 0 })
	// A pass over many jobs takes a while: one more, so a job that ended
	// during the last is not counted lost.
	settle()
	urls := s.urls()
	for id := range pending {
		_, found := s.jobStatus(urls, id)
		r.Lost++
		if found {
			r.problem("job %s acknowledged but not ended within %s", id, settleBound)
		} else {
			r.problem("job %s acknowledged but no node knows it", id)
		}
	}
	runs := s.runs()
	for _, j := range r.jobs {
		if runs[j.ID] > 1 {
			r.Duplicated++
			r.problem("job %s ran %d times", j.ID, runs[j.ID])
		}
		if runs[j.ID] > 0 && !j.Acked {
			// Not acknowledged yet it ran: fine (the answer was lost), but
			// it must still end once.
			if job, found := s.jobStatus(urls, j.ID); !found || !job.Status.Terminal() {
				r.problem("job %s ran without an acknowledgement and has not ended", j.ID)
			}
		}
	}
}

// runs counts the marker files each job left, one per run.
func (s *suite) runs() map[string]int {
	entries, err := os.ReadDir(filepath.Join(s.d.shared, "runs"))
	if err != nil {
		s.t.Fatal(err)
	}
	out := map[string]int{}
	for _, e := range entries {
		if i := strings.LastIndexByte(e.Name(), '.'); i > 0 {
			out[e.Name()[:i]]++
		}
	}
	return out
}

// checkRegistry checks the round's registry history with porcupine.
func (s *suite) checkRegistry(r *round) {
	res, info := porcupine.CheckOperationsVerbose(registryModel, r.ops, time.Minute)
	r.Linearizable = map[porcupine.CheckResult]string{porcupine.Ok: "yes", porcupine.Illegal: "NO", porcupine.Unknown: "timeout"}[res]
	if res == porcupine.Illegal {
		r.problem("the registry history is not linearizable")
		os.MkdirAll(s.out, 0o755)
		path := filepath.Join(s.out, fmt.Sprintf("registry-round-%d.html", r.Index))
		if err := porcupine.VisualizePath(registryModel, info, path); err != nil {
			s.t.Logf("visualize: %v", err)
		}
	}
}

// finalCheck reads every job once more: a terminal status never changes.
func (s *suite) finalCheck() {
	urls := s.urls()
	for _, r := range s.rounds {
		for _, j := range r.jobs {
			if j.Final == "" {
				continue
			}
			job, found := s.jobStatus(urls, j.ID)
			if !found || string(job.Status) != j.Final {
				r.problem("job %s was %s, now %s", j.ID, j.Final, job.Status)
			}
		}
	}
}

func (s *suite) fail(msg string) {
	s.t.Fatal(msg)
}

// report prints the table and, when a round failed, keeps the histories and
// node logs for inspection.
func (s *suite) report() { s.once.Do(s.writeReport) }

func (s *suite) writeReport() {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ROUND\tFAULT\tJOBS TRIED\tACKED\tLOST\tDUPLICATED\tQUEUED\tREGISTRY WRITES\tACKED\tLINEARIZABLE\tRECOVERY\t503s\tNO ANSWER\t4xx\tUNDOCUMENTED")
	failed := false
	for _, r := range s.rounds {
		fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t%d\t%d\t%d-%d\t%d\t%d\t%s\t%s\t%d\t%d\t%d\t%d\n", r.Index, r.Fault, r.JobsTried, r.JobsAcked,
			r.Lost, r.Duplicated, max(r.QueueMin, 0), r.QueueMax, r.RegTried, r.RegAcked, r.Linearizable, r.Recovery.Round(10*time.Millisecond),
			r.Unavailable, r.Unreachable, r.Refused, len(r.Undocumented))
		if len(r.Problems) > 0 || len(r.Undocumented) > 0 {
			failed = true
		}
	}
	tw.Flush()
	fmt.Print(b.String())
	if !failed && !s.t.Failed() {
		return
	}
	os.MkdirAll(s.out, 0o755)
	for _, r := range s.rounds {
		for _, p := range r.Problems {
			s.t.Errorf("round %d (%s): %s", r.Index, r.Fault, p)
		}
		for i, u := range r.Undocumented {
			if i == 10 {
				s.t.Errorf("round %d (%s): %d more undocumented errors", r.Index, r.Fault, len(r.Undocumented)-10)
				break
			}
			s.t.Errorf("round %d (%s): undocumented error: %s", r.Index, r.Fault, u)
		}
	}
	buf, _ := json.MarshalIndent(s.rounds, "", "  ")
	os.WriteFile(filepath.Join(s.out, "rounds.json"), buf, 0o644)
	var jobs []*jobRecord
	for _, r := range s.rounds {
		jobs = append(jobs, r.jobs...)
	}
	buf, _ = json.MarshalIndent(jobs, "", "  ")
	os.WriteFile(filepath.Join(s.out, "jobs.json"), buf, 0o644)
	os.WriteFile(filepath.Join(s.out, "table.txt"), []byte(b.String()), 0o644)
	s.d.saveLogs(s.out)
	abs, _ := filepath.Abs(s.out)
	s.t.Logf("histories and node logs kept in %s", abs)
}
