package balance

import (
	"math/rand/v2"
	"testing"
)

func TestNodeChooserOnlyPicksNodesWithRoom(t *testing.T) {
	c := newNodeChooser(rand.New(rand.NewPCG(1, 2)))
	cands := []Candidate{
		{ID: "full", Jobs: 4, MaxJobs: 4, MaxMemory: 100},
		{ID: "nomem", Jobs: 0, MaxJobs: 4, Memory: 90, MaxMemory: 100},
		{ID: "ok", Jobs: 3, MaxJobs: 4, MaxMemory: 100},
	}
	for i := 0; i < 100; i++ {
		if got := c.Choose(cands, 20); got != "ok" {
			t.Fatalf("chose %q", got)
		}
	}
	if got := c.Choose(cands[:2], 20); got != "" {
		t.Fatalf("chose %q with no room anywhere", got)
	}
}

func TestNodeChooserPrefersTheLessLoadedOfTwo(t *testing.T) {
	c := newNodeChooser(rand.New(rand.NewPCG(3, 4)))
	cands := []Candidate{
		{ID: "busy", Jobs: 60, MaxJobs: 64, MaxMemory: 1 << 20},
		{ID: "idle", Jobs: 0, MaxJobs: 64, MaxMemory: 1 << 20},
	}
	// With two candidates both are always compared.
	for i := 0; i < 100; i++ {
		if got := c.Choose(cands, 1); got != "idle" {
			t.Fatalf("chose %q", got)
		}
	}
	// Shares, not counts: 8 of 64 is lighter than 2 of 4.
	sized := []Candidate{{ID: "small", Jobs: 2, MaxJobs: 4, MaxMemory: 100}, {ID: "big", Jobs: 8, MaxJobs: 64, MaxMemory: 100}}
	if got := c.Choose(sized, 1); got != "big" {
		t.Fatalf("chose %q", got)
	}
}

func TestNodeChooserSpreadsOverManyNodes(t *testing.T) {
	c := newNodeChooser(rand.New(rand.NewPCG(5, 6)))
	cands := make([]Candidate, 5)
	for i := range cands {
		cands[i] = Candidate{ID: string(rune('a' + i)), MaxJobs: 1000, MaxMemory: 1 << 20}
	}
	counts := map[string]int{}
	for i := 0; i < 1000; i++ {
		id := c.Choose(cands, 1)
		counts[id]++
		for k := range cands {
			if cands[k].ID == id {
				cands[k].Jobs++
			}
		}
	}
	for id, n := range counts {
		if n < 190 || n > 210 {
			t.Fatalf("node %s got %d of 1000: %v", id, n, counts)
		}
	}
}
