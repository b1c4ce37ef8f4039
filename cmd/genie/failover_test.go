package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/genie-cluster/genie/api"
	"github.com/genie-cluster/genie/node"
)

// clusterAgent is one genie process of a test cluster.
type clusterAgent struct {
	name, dataDir, http, raft, gossip string
	// uids is the agent's -job-uid-range: agents on one machine need their
	// own.
	uids   string
	cmd    *exec.Cmd
	client *api.Client
}

// start runs the agent with -bootstrap-expect expect, joining join, with
// extra flags.
func (a *clusterAgent) start(t testing.TB, bin string, expect int, join string, extra ...string) {
	t.Helper()
	args := []string{"agent", "-node-name", a.name, "-data-dir", a.dataDir, "-http-addr", a.http,
		"-raft-addr", a.raft, "-gossip-addr", a.gossip, "-bootstrap-expect", fmt.Sprint(expect),
		"-cluster-name", node.TestClusterName(t),
		// Benchmarks measure the plain cluster.
		"-insecure"}
	if a.uids != "" {
		args = append(args, "-job-uid-range", a.uids)
	}
	args = append(args, extra...)
	if join != "" {
		args = append(args, "-join", join)
	}
	a.cmd = exec.Command(bin, args...)
	log, err := os.OpenFile(filepath.Join(a.dataDir, "agent.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	a.cmd.Stdout, a.cmd.Stderr = log, log
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	cmd := a.cmd
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		log.Close()
	})
	a.client, _ = api.NewClient(&api.Config{Address: "http://" + a.http})
}

// startBinaryCluster starts n genie processes with extra flags that
// bootstrap one group, and waits until every one serves.
func startBinaryCluster(t testing.TB, bin string, n int, extra ...string) []*clusterAgent {
	t.Helper()
	var agents []*clusterAgent
	for i := 0; i < n; i++ {
		a := &clusterAgent{name: fmt.Sprintf("node%d", i), dataDir: node.PassableTempDir(t), http: freeAddr(t), raft: freeAddr(t), gossip: freeAddr(t),
			uids: node.TestJobUIDs(i).String()}
		join := ""
		if i > 0 {
			join = agents[0].gossip
		}
		a.start(t, bin, n, join, extra...)
		agents = append(agents, a)
	}
	for _, a := range agents {
		waitUntil(t, 60*time.Second, a.name+" to serve", func() bool { return a.client.Agent().Health(context.Background()) == nil })
	}
	return agents
}

// leaderOf returns the agent that leads, as the given agent sees it.
func leaderOf(agents []*clusterAgent, via *clusterAgent) *clusterAgent {
	self, err := via.client.Agent().Self(context.Background())
	if err != nil || self.LeaderID == "" {
		return nil
	}
	for _, a := range agents {
		if s, err := a.client.Agent().Self(context.Background()); err == nil && s.ID == self.LeaderID {
			return a
		}
	}
	return nil
}

// BenchmarkLeaderFailover kills the leader of a 3-node cluster of genie
// processes with SIGKILL and measures the time until a registry write
// through a surviving node succeeds; the killed node is restarted on its
// data dir before the next round. It reports the median and the worst.
func BenchmarkLeaderFailover(b *testing.B) {
	bin := buildGenie(b)
	agents := startBinaryCluster(b, bin, 3)
	var times []time.Duration
	for i := 0; i < b.N; i++ {
		var leader *clusterAgent
		waitUntil(b, 30*time.Second, "a leader", func() bool { leader = leaderOf(agents, agents[0]); return leader != nil })
		var survivor *clusterAgent
		for _, a := range agents {
			if a != leader {
				survivor = a
				break
			}
		}
		leader.cmd.Process.Signal(syscall.SIGKILL)
		killed := time.Now()
		leader.cmd.Wait()
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_, err := survivor.client.Clusters().Create(ctx, &api.Cluster{Name: fmt.Sprintf("after-%d", i), User: "bench", Version: "1", Status: api.ClusterStatusUp})
			cancel()
			if err == nil {
				break
			}
			if time.Since(killed) > time.Minute {
				b.Fatalf("no write within a minute of the kill: %v", err)
			}
			time.Sleep(10 * time.Millisecond)
		}
		times = append(times, time.Since(killed))
		leader.start(b, bin, 3, survivor.gossip)
		waitUntil(b, 60*time.Second, leader.name+" back", func() bool {
			return leader.client.Agent().Health(context.Background()) == nil
		})
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	b.ReportMetric(float64(times[len(times)/2].Milliseconds()), "median-ms")
	b.ReportMetric(float64(times[len(times)-1].Milliseconds()), "max-ms")
	var all []string
	for _, d := range times {
		all = append(all, d.Round(time.Millisecond).String())
	}
	b.Logf("failover times: %s", strings.Join(all, " "))
}
