package node

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/genie-cluster/genie/api"
)

func TestChooseLogStore(t *testing.T) {
	empty, bolt, walDir, both := t.TempDir(), t.TempDir(), t.TempDir(), t.TempDir()
	for _, f := range []string{filepath.Join(bolt, boltFileName), filepath.Join(both, boltFileName)} {
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{filepath.Join(walDir, walDirName), filepath.Join(both, walDirName)} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		dir, requested, want string
		refused              bool
	}{
		{empty, "", DefaultLogStore, false},
		{empty, LogStoreWAL, LogStoreWAL, false},
		{empty, LogStoreBolt, LogStoreBolt, false},
		{bolt, "", LogStoreBolt, false},
		{bolt, LogStoreBolt, LogStoreBolt, false},
		{bolt, LogStoreWAL, "", true},
		{walDir, "", LogStoreWAL, false},
		{walDir, LogStoreBolt, "", true},
		{both, "", "", true},
	}
	for i, c := range cases {
		got, err := chooseLogStore(c.dir, c.requested)
		if (err != nil) != c.refused || got != c.want {
			t.Errorf("case %d: got %q, %v", i, got, err)
		}
	}
}

// TestDataDirKeepsItsLogStore: a node restarted on its data dir opens the
// store the dir holds, with every record, and refuses to open the other.
func TestDataDirKeepsItsLogStore(t *testing.T) {
	for _, kind := range []string{LogStoreBolt, LogStoreWAL} {
		t.Run(kind, func(t *testing.T) {
			cfg := TestConfig(t, t.TempDir())
			cfg.RaftLogStore = kind
			n := StartNode(t, cfg)
			c := client(t, n)
			register(t, c)
			id, err := c.Jobs().Submit(context.Background(), shellJob("echo kept"))
			if err != nil {
				t.Fatal(err)
			}
			waitStatus(t, c, id, api.JobStatusSucceeded, 30*time.Second)
			n.Shutdown()

			other := LogStoreWAL
			if kind == LogStoreWAL {
				other = LogStoreBolt
			}
			wrong := *cfg
			wrong.RaftLogStore = other
			wrong.Logger = TestLogger(t)
			if n, err := New(&wrong); err == nil {
				n.Shutdown()
				t.Fatalf("a %s data dir opened as %s", kind, other)
			} else if !strings.Contains(err.Error(), "holds a "+kind+" raft log store") {
				t.Fatalf("refusal: %v", err)
			}

			again := *cfg
			again.RaftLogStore = ""
			again.Logger = TestLogger(t)
			n = StartNode(t, &again)
			c = client(t, n)
			if j, err := c.Jobs().Get(context.Background(), id); err != nil || j.Status != api.JobStatusSucceeded {
				t.Fatalf("job after restart: %+v %v", j, err)
			}
			if _, err := c.Clusters().Get(context.Background(), "local"); err != nil {
				t.Fatalf("registry after restart: %v", err)
			}
		})
	}
}
