// Package balance holds genie's pure choice logic: which cluster a job runs
// on and which node takes a submission.
package balance

import (
	"math/rand/v2"

	"github.com/genie-cluster/genie/fsm"
)

// ClusterSelector picks one of the clusters a job's criteria matched.
type ClusterSelector interface {
	Select(candidates []*fsm.Cluster, state *fsm.State) *fsm.Cluster
}

// NewClusterSelector returns the selector named "random" (Genie's default)
// or "least-running"; any other name gets random.
func NewClusterSelector(name string) ClusterSelector {
	if name == "least-running" {
		return LeastRunning{}
	}
	return Random{}
}

// Random picks uniformly, as Genie does by default.
type Random struct{}

// Select implements ClusterSelector.
func (Random) Select(candidates []*fsm.Cluster, _ *fsm.State) *fsm.Cluster {
	if len(candidates) == 0 {
		return nil
	}
	return candidates[rand.IntN(len(candidates))]
}

// LeastRunning picks the cluster with the fewest unfinished jobs, the first
// in order on a tie.
type LeastRunning struct{}

// Select implements ClusterSelector.
func (LeastRunning) Select(candidates []*fsm.Cluster, state *fsm.State) *fsm.Cluster {
	var best *fsm.Cluster
	bestCount := -1
	for _, c := range candidates {
		_, n := state.Jobs(fsm.JobFilter{ClusterID: c.ID, Statuses: fsm.ActiveJobStatuses}, 0, 0)
		if bestCount < 0 || n < bestCount {
			best, bestCount = c, n
		}
	}
	return best
}
