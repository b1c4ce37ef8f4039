package node

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/memberlist"
)

// memberMeta is what a node tells its peers in its gossip metadata: how to
// reach it and what it offers jobs; the leader records it in the nodes
// table. Its load is not here: the replicated state derives it. Kept
// small: memberlist caps it at 512 bytes.
type memberMeta struct {
	ID       string `json:"id"`
	API      string `json:"api"`
	Raft     string `json:"raft"`
	MaxJobs  int    `json:"maxJobs"`
	MaxMem   int    `json:"maxMem"`
	Draining bool   `json:"drain,omitempty"`
	Zone     string `json:"zone,omitempty"`
	// Expect is the node's -bootstrap-expect; Bootstrapped says it has raft
	// state, so no one bootstraps a group beside an existing one.
	Expect       int  `json:"expect"`
	Bootstrapped bool `json:"boot,omitempty"`
	// Leaving is set by a node about to leave the ring on purpose, so its
	// peers can tell a departure from a death.
	Leaving bool `json:"leaving,omitempty"`
	// DiskLow says why the node takes no new jobs: its disk is low.
	DiskLow string `json:"disk,omitempty"`
}

// member is a node as gossip last described it.
type member struct {
	Name   string
	Addr   string // gossip address
	Meta   memberMeta
	Status string // alive, suspect, dead or left
	// Since is when the node entered Status.
	Since time.Time
}

// members is the node's table of its peers, kept from memberlist's events.
type members struct {
	mu    sync.RWMutex
	byID  map[string]*member
	onChg func()
}

func newMembers(onChange func()) *members {
	return &members{byID: make(map[string]*member), onChg: onChange}
}

func (m *members) set(n *memberlist.Node, status string) {
	var meta memberMeta
	if err := json.Unmarshal(n.Meta, &meta); err != nil || meta.ID == "" {
		return
	}
	m.mu.Lock()
	prev, ok := m.byID[meta.ID]
	since := time.Now()
	if ok && prev.Status == status {
		since = prev.Since
	}
	// memberlist knows nodes by name: a node of the same name with a new
	// id (its data dir was replaced) supersedes the old one.
	for id, other := range m.byID {
		if other.Name == n.Name && id != meta.ID {
			delete(m.byID, id)
		}
	}
	m.byID[meta.ID] = &member{Name: n.Name, Addr: net.JoinHostPort(n.Addr.String(), strconv.Itoa(int(n.Port))),
		Meta: meta, Status: status, Since: since}
	m.mu.Unlock()
	if m.onChg != nil {
		m.onChg()
	}
}

// list returns a copy of every member, sorted by name.
func (m *members) list() []member {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]member, 0, len(m.byID))
	for _, mb := range m.byID {
		out = append(out, *mb)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// get returns the member with id.
func (m *members) get(id string) (member, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	mb, ok := m.byID[id]
	if !ok {
		return member{}, false
	}
	return *mb, true
}

// forget drops a member, once raft no longer lists it.
func (m *members) forget(id string) {
	m.mu.Lock()
	delete(m.byID, id)
	m.mu.Unlock()
}

// gossipEvents turns memberlist's callbacks into member table updates.
type gossipEvents struct {
	members *members
}

func (e *gossipEvents) NotifyJoin(n *memberlist.Node)   { e.members.set(n, "alive") }
func (e *gossipEvents) NotifyUpdate(n *memberlist.Node) { e.members.set(n, "alive") }
func (e *gossipEvents) NotifyLeave(n *memberlist.Node) {
	// memberlist does not fill in Node.State here; a node that leaves on
	// purpose says so in its metadata first.
	var meta memberMeta
	if n.State == memberlist.StateLeft || (json.Unmarshal(n.Meta, &meta) == nil && meta.Leaving) {
		e.members.set(n, "left")
		return
	}
	e.members.set(n, "dead")
}

// gossipDelegate hands memberlist this node's metadata.
type gossipDelegate struct {
	meta func() memberMeta
}

func (d *gossipDelegate) NodeMeta(limit int) []byte {
	buf, _ := json.Marshal(d.meta())
	if len(buf) > limit {
		// Never expected (the fields are short), but memberlist panics on
		// oversized metadata: drop the optional zone rather than crash.
		m := d.meta()
		m.Zone = ""
		buf, _ = json.Marshal(m)
	}
	return buf
}
func (d *gossipDelegate) NotifyMsg([]byte)                           {}
func (d *gossipDelegate) GetBroadcasts(overhead, limit int) [][]byte { return nil }
func (d *gossipDelegate) LocalState(join bool) []byte                { return nil }
func (d *gossipDelegate) MergeRemoteState(buf []byte, join bool)     {}

// setupGossip starts memberlist on GossipAddr with this node's metadata.
func (n *Node) setupGossip() error {
	host, portStr, err := net.SplitHostPort(n.config.GossipAddr)
	if err != nil {
		return fmt.Errorf("gossip address %q: %w", n.config.GossipAddr, err)
	}
	port, _ := strconv.Atoi(portStr)
	conf := memberlist.DefaultLANConfig()
	if n.config.GossipPreset == "local" {
		conf = memberlist.DefaultLocalConfig()
	}
	conf.Name = n.config.NodeName
	conf.Label = n.config.ClusterName
	conf.BindAddr = host
	conf.BindPort = port
	conf.AdvertisePort = port
	if conf.AdvertiseAddr, err = n.config.advertiseHost(host); err != nil {
		return fmt.Errorf("gossip: %w", err)
	}
	conf.Delegate = &gossipDelegate{meta: n.localMeta}
	conf.Events = &gossipEvents{members: n.members}
	conf.Logger = n.config.Logger.Named("gossip").StandardLogger(&hclog.StandardLoggerOptions{InferLevels: true})
	if err := n.setupKeyring(conf); err != nil {
		return fmt.Errorf("gossip: %w", err)
	}
	list, err := memberlist.Create(conf)
	if err != nil {
		return fmt.Errorf("gossip on %s: %w", n.config.GossipAddr, err)
	}
	n.gossip = list
	return nil
}

// localMeta is this node's gossip metadata now.
func (n *Node) localMeta() memberMeta {
	return memberMeta{
		ID:           n.id,
		API:          n.httpAddr,
		Raft:         string(n.raftTransport.LocalAddr()),
		MaxJobs:      n.config.MaxJobs,
		MaxMem:       n.config.MaxMemory,
		Draining:     n.draining.Load(),
		Zone:         n.config.Zone,
		Expect:       n.config.BootstrapExpect,
		Bootstrapped: n.hasRaftState(),
		Leaving:      n.leaving.Load(),
		DiskLow:      n.diskLowReason(),
	}
}

// gossipLoadInterval bounds how often load changes are gossiped: peers see
// a change within about this long, and a burst of changes costs one
// broadcast.
const gossipLoadInterval = 250 * time.Millisecond

// announceLoop re-broadcasts this node's metadata after it changes,
// coalescing changes that come close together.
func (n *Node) announceLoop() {
	defer n.wg.Done()
	for {
		select {
		case <-n.shutdownCh:
			return
		case <-n.announceCh:
		}
		if err := n.gossip.UpdateNode(time.Second); err != nil {
			n.logger.Debug("gossip update failed", "error", err)
		}
		select {
		case <-n.shutdownCh:
			return
		case <-time.After(gossipLoadInterval):
		}
	}
}

// announce asks announceLoop to gossip this node's metadata again.
func (n *Node) announce() {
	select {
	case n.announceCh <- struct{}{}:
	default:
	}
}

// joinLoop joins the gossip ring through any of addrs, retrying until it works
// or JoinTimeout passes.
func (n *Node) joinLoop(addrs []string) {
	defer n.wg.Done()
	deadline := time.Now().Add(n.config.JoinTimeout)
	backoff := 200 * time.Millisecond
	for {
		// A name may resolve to this node alone (a service name whose other
		// replicas are not up yet): only a peer makes a join.
		joined, err := n.gossip.Join(addrs)
		if joined > 0 && n.gossip.NumMembers() > 1 {
			n.logger.Info("joined the gossip ring", "via", addrs, "members", n.gossip.NumMembers())
			return
		}
		if time.Now().After(deadline) {
			n.logger.Error("could not join the cluster: no address answered; check -join", "join", addrs, "error", err)
			return
		}
		if err == nil {
			err = errors.New("no peer answered, only this node")
		}
		n.logger.Warn("join failed, retrying", "join", addrs, "error", err, "retry_in", backoff)
		select {
		case <-n.shutdownCh:
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}
