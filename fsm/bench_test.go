package fsm

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/genie-cluster/genie/internal/benchenv"
)

// benchJob is a finished job as the API records one: a request with tags
// and arguments, resolved to a cluster and command, run and archived.
func benchJob(i int) Job {
	code := 0
	id := fmt.Sprintf("0b6c2f1e-4d7a-4c1b-9a3e-%012d", i)
	return Job{
		ID: id, RequestHash: "7f9c2ba4e88f827d616045507605853ed73b8093f6efbc88eb1a6eacfa66ef26",
		Request: JobRequest{Name: "etl-daily", User: fmt.Sprintf("user%d", i%50), Version: "1",
			Tags: []string{"team:data", "sla:daily"}, CommandArgs: "-f s3://bucket/scripts/etl.sql",
			ClusterCriterias: [][]string{{"sched:sla"}}, CommandCriteria: []string{"type:hive"}},
		Status: JobSucceeded, StatusMsg: MsgSucceeded, Node: "9d3f2a10-8c1e-4b7a-a1f0-3c5e7d9b1a2c", NodeName: "genie-3",
		ClusterID: "prod", ClusterName: "prod", CommandID: "hive", CommandName: "hive",
		Memory: 512, Timeout: 86400, ProcessID: 4242 + i, ExitCode: &code,
		Created: 1_700_000_000_000 + int64(i), Updated: 1_700_000_060_000 + int64(i),
		Started: 1_700_000_001_000 + int64(i), Finished: 1_700_000_060_000 + int64(i),
		ArchiveStatus: ArchiveArchived, ArchiveLocation: "s3://genie/jobs/" + id + "/", RecordArchived: true,
		ClientHost: "10.0.12.34", UserAgent: "genie-python/4.3.0", StdoutSize: 1234, StderrSize: 56,
	}
}

// loadFinishedJobs fills a state with n finished jobs through log entries
// of 1,000 jobs each, as a snapshot restore or a long-running cluster
// would hold them.
func loadFinishedJobs(b testing.TB, n int) *FSM {
	f, err := New(&Config{})
	if err != nil {
		b.Fatal(err)
	}
	var index uint64
	for start := 0; start < n; start += 1000 {
		var logs []*raft.Log
		for i := start; i < min(start+1000, n); i++ {
			j := benchJob(i)
			j.Status = JobInvalid // the one terminal status a submission may carry
			buf, err := Encode(JobSubmitRequestType, &JobSubmitRequest{Job: j})
			if err != nil {
				b.Fatal(err)
			}
			index++
			logs = append(logs, &raft.Log{Index: index, Type: raft.LogCommand, Data: buf})
		}
		for _, res := range f.ApplyBatch(logs) {
			if err, ok := res.(error); ok {
				b.Fatal(err)
			}
		}
	}
	return f
}

// BenchmarkStateAtScale loads GENIE_BENCH_JOBS finished jobs and reports
// the heap each holds, the snapshot's size and write and restore times,
// and search latency, against the same figures on an empty state.
func BenchmarkStateAtScale(b *testing.B) {
	n := benchenv.Count(b, "GENIE_BENCH_JOBS", 100_000)
	metrics := map[string]float64{}
	before := benchenv.HeapInUse()
	f := loadFinishedJobs(b, n)
	after := benchenv.HeapInUse()
	metrics["heap-B/job"] = float64(after-before) / float64(n)

	// Written to a file and read back, as raft's snapshot store does.
	path := filepath.Join(b.TempDir(), "state.snapshot")
	start := time.Now()
	file, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	snap, err := f.Snapshot()
	if err != nil {
		b.Fatal(err)
	}
	if err := snap.Persist(fileSink{file}); err != nil {
		b.Fatal(err)
	}
	metrics["snapshot-s"] = time.Since(start).Seconds()
	info, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	metrics["snapshot-B/job"] = float64(info.Size()) / float64(n)
	start = time.Now()
	restored, _ := New(&Config{})
	file, err = os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := restored.Restore(file); err != nil {
		b.Fatal(err)
	}
	metrics["restore-s"] = time.Since(start).Seconds()

	s := f.State()
	queries := map[string]JobFilter{
		"user-running": {User: "user7", Statuses: []JobStatus{JobRunning}},
		"newest":       {},
	}
	for name, q := range queries {
		var took []time.Duration
		for i := 0; i < 200; i++ {
			t0 := time.Now()
			s.Jobs(q, 0, 25)
			took = append(took, time.Since(t0))
		}
		sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
		metrics[name+"-p99-µs"] = float64(took[len(took)*99/100].Microseconds())
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.Jobs(JobFilter{}, 0, 25)
	}
	b.StopTimer()
	for name, v := range metrics {
		b.ReportMetric(v, name)
	}
	runtime.KeepAlive(f)
	runtime.KeepAlive(restored)
}

// fileSink is a snapshot sink writing a file, synced on Close as raft's is.
type fileSink struct{ *os.File }

func (s fileSink) Close() error {
	if err := s.File.Sync(); err != nil {
		s.File.Close()
		return err
	}
	return s.File.Close()
}
func (s fileSink) ID() string    { return s.File.Name() }
func (s fileSink) Cancel() error { return s.File.Close() }

// BenchmarkApplySubmissions applies job submissions as a replica does,
// batches of entries in one transaction, over a state already holding
// 10,000 unfinished jobs, and reports the cost of one.
func BenchmarkApplySubmissions(b *testing.B) {
	for _, batch := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("batch-%d", batch), func(b *testing.B) {
			f, err := New(&Config{})
			if err != nil {
				b.Fatal(err)
			}
			var index uint64
			apply := func(logs []*raft.Log) {
				for _, res := range f.ApplyBatch(logs) {
					if err, ok := res.(error); ok {
						b.Fatal(err)
					}
				}
			}
			node := Node{ID: "9d3f2a10-8c1e-4b7a-a1f0-3c5e7d9b1a2c", Name: "genie-3", MaxJobs: 1 << 30, MaxMemory: 1 << 40, Status: NodeAlive}
			buf, err := Encode(NodeUpsertRequestType, &NodeUpsertRequest{Node: node})
			if err != nil {
				b.Fatal(err)
			}
			index++
			apply([]*raft.Log{{Index: index, Type: raft.LogCommand, Data: buf}})
			entries := func(n, from int) []*raft.Log {
				logs := make([]*raft.Log, n)
				for i := range logs {
					j := benchJob(from + i)
					j.Status, j.StatusMsg, j.ExitCode = JobAccepted, "", nil
					j.Started, j.Finished, j.ArchiveStatus, j.ArchiveLocation, j.RecordArchived = 0, 0, ArchivePending, "", false
					buf, err := Encode(JobSubmitRequestType, &JobSubmitRequest{Job: j, Place: true})
					if err != nil {
						b.Fatal(err)
					}
					index++
					logs[i] = &raft.Log{Index: index, Type: raft.LogCommand, Data: buf}
				}
				return logs
			}
			for done := 0; done < 10_000; done += 1000 {
				apply(entries(1000, done))
			}
			logs := entries(b.N, 10_000)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i += batch {
				apply(logs[i:min(i+batch, b.N)])
			}
		})
	}
}
