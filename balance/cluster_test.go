package balance

import (
	"testing"

	"github.com/genie-cluster/genie/fsm"
)

func TestRandomPicksEveryCandidate(t *testing.T) {
	cands := []*fsm.Cluster{{Resource: fsm.Resource{ID: "a"}}, {Resource: fsm.Resource{ID: "b"}}, {Resource: fsm.Resource{ID: "c"}}}
	seen := map[string]bool{}
	for i := 0; i < 1000 && len(seen) < 3; i++ {
		seen[(Random{}).Select(cands, nil).ID] = true
	}
	if len(seen) != 3 {
		t.Fatalf("random selector reached only %v", seen)
	}
	if (Random{}).Select(nil, nil) != nil {
		t.Fatal("empty candidates must give nil")
	}
}

func TestLeastRunningOnEmptyStatePicksFirst(t *testing.T) {
	state, err := fsm.NewState()
	if err != nil {
		t.Fatal(err)
	}
	cands := []*fsm.Cluster{{Resource: fsm.Resource{ID: "a"}}, {Resource: fsm.Resource{ID: "b"}}}
	if got := (LeastRunning{}).Select(cands, state); got.ID != "a" {
		t.Fatalf("got %s", got.ID)
	}
}
