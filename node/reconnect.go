package node

import (
	"math/rand"
	"time"
)

// reconnectInterval is how often a node tries to reach the members gossip
// declared dead. After a partition heals, nothing else brings the two
// sides back together: each marked the other dead, memberlist probes and
// syncs only with live members, and once the dead announcements have been
// sent no gossip crosses. Serf reconnects the same way (every 30 s); this
// is shorter so that a healed node is back well within -node-lost-grace
// and long before -dead-server-grace takes its raft seat.
const reconnectInterval = 5 * time.Second

// reconnectLoop joins, now and then, one member gossip holds dead (not
// one that left): a push-pull with it tells each side the other is alive,
// and the node that was declared dead refutes it.
func (n *Node) reconnectLoop() {
	defer n.wg.Done()
	for {
		// Jittered, so the nodes of a healed partition do not all dial at
		// once.
		wait := reconnectInterval/2 + time.Duration(rand.Int63n(int64(reconnectInterval)))
		select {
		case <-n.shutdownCh:
			return
		case <-time.After(wait):
		}
		var dead []member
		for _, m := range n.members.list() {
			if m.Status == "dead" && m.Meta.ID != n.id {
				dead = append(dead, m)
			}
		}
		if len(dead) == 0 {
			continue
		}
		m := dead[rand.Intn(len(dead))]
		if _, err := n.gossip.Join([]string{m.Addr}); err != nil {
			n.logger.Debug("dead member still unreachable", "member", m.Name, "addr", m.Addr, "error", err)
			continue
		}
		n.logger.Info("reconnected to a member gossip had declared dead", "member", m.Name)
	}
}
