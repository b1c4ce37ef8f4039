package node

import (
	"context"
	"time"

	"github.com/genie-cluster/genie/fsm"
)

// reconcileNodes is the leader's duty towards the nodes table: it records
// every member gossip knows, with its capacity, zone, draining and liveness,
// and writes only what changed. A node the table holds but gossip has
// forgotten is recorded dead, so nothing is placed on it.
func (n *Node) reconcileNodes(ctx context.Context) {
	state := n.State()
	known := make(map[string]bool)
	for _, m := range n.members.list() {
		want := fsm.Node{
			ID: m.Meta.ID, Name: m.Name, API: m.Meta.API, Raft: m.Meta.Raft, Zone: m.Meta.Zone,
			MaxJobs: m.Meta.MaxJobs, MaxMemory: m.Meta.MaxMem,
			Draining: m.Meta.Draining || m.Meta.Leaving, DiskLow: m.Meta.DiskLow, Status: m.Status, Since: m.Since.UnixMilli(),
		}
		if m.Meta.ID == n.id {
			want.Status, want.Draining, want.DiskLow = fsm.NodeAlive, n.draining.Load(), n.diskLowReason()
		}
		known[want.ID] = true
		if cur := state.Node(want.ID); cur != nil && cur.SameAs(&want) {
			continue
		}
		if !n.upsertNode(ctx, want) {
			return
		}
	}
	for _, cur := range state.Nodes() {
		if known[cur.ID] || cur.Status == fsm.NodeDead || cur.Status == fsm.NodeLeft {
			continue
		}
		gone := *cur
		gone.Status, gone.Since = fsm.NodeDead, time.Now().UnixMilli()
		if !n.upsertNode(ctx, gone) {
			return
		}
	}
}

func (n *Node) upsertNode(ctx context.Context, node fsm.Node) bool {
	_, err := n.applyLocal(ctx, mustEncode(fsm.NodeUpsertRequestType, &fsm.NodeUpsertRequest{Node: node}))
	if err != nil {
		if ctx.Err() == nil {
			n.logger.Warn("cannot record a node", "member", node.Name, "error", err)
		}
		return false
	}
	n.logger.Debug("recorded a node", "member", node.Name, "status", node.Status, "draining", node.Draining)
	return true
}

// forgetNode drops a node that left the raft group from the nodes table.
func (n *Node) forgetNode(id string) error {
	ctx, cancel := context.WithTimeout(context.Background(), n.config.ApplyTimeout)
	defer cancel()
	_, err := n.applyLocal(ctx, mustEncode(fsm.NodeDeleteRequestType, &fsm.NodeDeleteRequest{ID: id}))
	return err
}

// waitRegistered blocks until the leader has recorded this node alive in
// the nodes table, so that jobs can be placed on it.
func (n *Node) waitRegistered() error {
	for {
		self, changed := n.State().WatchNode(n.id)
		if self != nil && self.Status == fsm.NodeAlive {
			return nil
		}
		select {
		case <-n.shutdownCh:
			return errShuttingDown
		case <-changed:
		case <-time.After(time.Second):
			// A snapshot restore replaces the state the watch was on.
		}
	}
}
