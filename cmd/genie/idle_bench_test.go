package main

import (
	"testing"
	"time"
)

// idleWindow is how long an idle cluster is watched per iteration.
const idleWindow = 10 * time.Second

// BenchmarkIdleCluster starts a 3-node cluster of genie processes with
// nothing to do and reports the share of one core its leader and its
// followers spend over each idle window, read from /proc.
func BenchmarkIdleCluster(b *testing.B) {
	bin := buildGenie(b)
	agents := startBinaryCluster(b, bin, 3)
	var leader *clusterAgent
	waitUntil(b, 30*time.Second, "a leader", func() bool { leader = leaderOf(agents, agents[0]); return leader != nil })
	// Let the start settle: the leader's first rounds write the nodes.
	time.Sleep(3 * time.Second)
	b.ResetTimer()
	var leaderCPU, followerCPU time.Duration
	for i := 0; i < b.N; i++ {
		before := map[*clusterAgent]time.Duration{}
		for _, a := range agents {
			before[a], _ = processCPU(b, a.cmd.Process.Pid)
		}
		time.Sleep(idleWindow)
		for _, a := range agents {
			after, _ := processCPU(b, a.cmd.Process.Pid)
			if a == leader {
				leaderCPU += after - before[a]
			} else {
				followerCPU += after - before[a]
			}
		}
	}
	b.StopTimer()
	window := time.Duration(b.N) * idleWindow
	if now := leaderOf(agents, agents[0]); now != leader {
		b.Fatalf("leadership moved from %s while idle", leader.name)
	}
	b.ReportMetric(100*leaderCPU.Seconds()/window.Seconds(), "leader-%core")
	b.ReportMetric(100*followerCPU.Seconds()/window.Seconds()/float64(len(agents)-1), "follower-%core")
}
