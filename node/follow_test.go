package node

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/genie-cluster/genie/api"
	"github.com/genie-cluster/genie/fsm"
)

func TestFollowedOutputStreamsThroughAnotherNodeUntilTheJobEnds(t *testing.T) {
	c := MakeCluster(t, 3, nil)
	leader := c.WaitForLeader()
	register(t, client(t, leader))
	marker := filepath.Join(PassableTempDir(t), "go-on")
	// The job cannot end before the test lets it: what the stream carries
	// before that was sent while the job ran.
	id := submit(t, client(t, leader), shellJob("echo first; while [ ! -f "+marker+" ]; do sleep 0.05; done; echo second"))
	waitStatus(t, client(t, leader), id, api.JobStatusRunning, 30*time.Second)
	var other *Node
	for _, n := range c.Nodes {
		if j := leader.State().Job(id); j != nil && j.Node != n.ID() {
			other = n
			break
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	jobs := client(t, other).Jobs()

	whole, err := jobs.FollowOutput(ctx, id, "stdout", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer whole.Close()
	if !whole.Live {
		t.Fatal("the stream of a running job is not live")
	}
	lines := bufio.NewReader(whole)
	if line, err := lines.ReadString('\n'); err != nil || line != "first\n" {
		t.Fatalf("first line %q, %v", line, err)
	}
	// A second reader starts past what it has seen, with a Range.
	rest, err := jobs.FollowOutput(ctx, id, "stdout", int64(len("first\n")))
	if err != nil {
		t.Fatal(err)
	}
	defer rest.Close()

	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]io.Reader{"whole": lines, "from the range": rest} {
		got, err := io.ReadAll(r)
		if err != nil || string(got) != "second\n" {
			t.Fatalf("stream %s after the job went on: %q, %v", name, got, err)
		}
	}
	// The streams ended cleanly because the job did; this node learns of
	// the end from the log.
	waitStatus(t, client(t, other), id, api.JobStatusSucceeded, 10*time.Second)
	// Following a finished job's file gives it whole, at once.
	done, err := jobs.FollowOutput(ctx, id, "stdout", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer done.Close()
	if got, _ := io.ReadAll(done); string(got) != "first\nsecond\n" || done.Live {
		t.Fatalf("finished job's stdout %q (live %v)", got, done.Live)
	}
}

// TestOutputIsReadableTheMomentAJobEnds reads each job's stdout as soon as
// a blocking query says it ended, as `genie jobs submit --wait` and then
// `genie jobs logs` do: while the archive is written and recorded, the
// read waits for it rather than failing.
func TestOutputIsReadableTheMomentAJobEnds(t *testing.T) {
	n := MakeNode(t, nil)
	c := client(t, n)
	register(t, c)
	ctx := context.Background()
	for i := 0; i < 20; i++ {
		id := submit(t, c, shellJob(fmt.Sprintf("echo run %d", i)))
		var index uint64
		for {
			status, meta, err := c.Jobs().StatusAfter(ctx, id, index, 30*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if status.Terminal() {
				break
			}
			index = meta.LastIndex
		}
		if got := readOutput(t, c, id, "stdout"); got != fmt.Sprintf("run %d\n", i) {
			t.Fatalf("job %d's stdout right after it ended: %q", i, got)
		}
	}
}

func TestAJobPastTheNodesOutputLimitIsKilledWithTheReason(t *testing.T) {
	n := MakeNode(t, func(cfg *Config) { cfg.MaxJobOutput = 64 << 10 })
	c := client(t, n)
	register(t, c)
	loud := submit(t, c, shellJob("yes genie"))
	quiet := submit(t, c, shellJob("echo fine"))
	j := waitStatus(t, c, loud, api.JobStatusKilled, 30*time.Second)
	if want := fsm.OutputTooLongMsg("stdout", 64<<10); j.StatusMsg != want {
		t.Fatalf("status message %q, want %q", j.StatusMsg, want)
	}
	waitStatus(t, c, quiet, api.JobStatusSucceeded, 30*time.Second)
}
