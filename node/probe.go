package node

import (
	"math/rand"
	"net"
	"time"

	"github.com/hashicorp/raft"
)

// probeTimeout bounds the leader's direct check of a server gossip does
// not know.
const probeTimeout = 500 * time.Millisecond

// unknownServerAnswers checks a raft server that gossip does not know at
// all, before the leader treats it as dead. Gossip can miss a member for a
// while: a node that joined through a peer which left before passing the
// news on is known to the others only at the next push-pull, seconds
// later. Removing it meanwhile, or counting it out of the quorum, could
// leave the group without one. A server whose raft port answers is alive;
// the leader then syncs with a live member so that gossip learns of it.
func (n *Node) unknownServerAnswers(s raft.Server) bool {
	conn, err := net.DialTimeout("tcp", string(s.Address), probeTimeout)
	if err != nil {
		return false
	}
	conn.Close()
	n.logger.Debug("a raft server gossip does not know answers; syncing gossip", "id", s.ID, "addr", s.Address)
	var alive []string
	for _, m := range n.members.list() {
		if m.Status == "alive" && m.Meta.ID != n.id {
			alive = append(alive, m.Addr)
		}
	}
	if len(alive) > 0 {
		// A join with a member is a full state exchange (push-pull).
		if _, err := n.gossip.Join([]string{alive[rand.Intn(len(alive))]}); err != nil {
			n.logger.Debug("gossip sync failed", "error", err)
		}
	}
	return true
}
