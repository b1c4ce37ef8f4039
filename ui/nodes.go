package ui

import (
	"net/http"
	"sort"

	"github.com/genie-cluster/genie/api"
)

type nodeRow struct {
	api.Member
	JobsPercent   int
	MemoryPercent int
}

// nodesPage shows the members as gossip sees them, with their load, and
// the raft peers with their progress through the log.
func (u *UI) nodesPage(w http.ResponseWriter, v *visit) error {
	ctx := v.r.Context()
	members, err := v.client.Agent().Members(ctx)
	if err != nil {
		return err
	}
	var peers []api.RaftPeer
	meta, err := v.client.Read(ctx, "/v1/operator/raft/peers", nil, liveIndex(v.r), liveWait, &peers)
	if err != nil {
		return err
	}
	sort.Slice(members, func(i, j int) bool { return members[i].Name < members[j].Name })
	var rows []nodeRow
	queued := 0
	for _, m := range members {
		rows = append(rows, nodeRow{Member: m, JobsPercent: percent(int64(m.RunningJobs), int64(m.MaxJobs)), MemoryPercent: percent(m.UsedMemory, m.MaxMemory)})
		queued = max(queued, m.QueuedJobs)
	}
	leader := ""
	for _, p := range peers {
		if p.State == "leader" {
			leader = p.Node
		}
	}
	u.render(w, v, http.StatusOK, "nodes", "Nodes", map[string]any{
		"Members": rows, "Peers": peers, "Leader": leader, "Queued": queued, "Index": meta.LastIndex,
	})
	return nil
}

func percent(used, limit int64) int {
	if limit <= 0 {
		return 0
	}
	return int(min(100, used*100/limit))
}
