package transport

import (
	"context"
	"net/http"

	"github.com/genie-cluster/genie/acl"
	"github.com/genie-cluster/genie/api"
	"github.com/genie-cluster/genie/fsm"
)

// Operator is what the operator endpoints need from a node.
type Operator interface {
	// Members lists the nodes this node knows of, with their load.
	Members() []api.Member
	// RaftPeers lists the raft configuration with each server's progress.
	RaftPeers(ctx context.Context) ([]api.RaftPeer, error)
	// RemoveRaftPeer removes a server from the raft configuration.
	RemoveRaftPeer(ctx context.Context, id string) error
	// TransferLeadership hands leadership to server id, or to any voter
	// when id is empty.
	TransferLeadership(ctx context.Context, id string) error
}

func (h *handler) operatorRoutes() {
	op, ok := h.backend.(Operator)
	if !ok {
		return
	}
	h.handle(acl.Read, "GET /v1/agent/members", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, op.Members())
	})
	h.handleRead(acl.Read, "GET /v1/operator/raft/peers", tables(fsm.TableRaftConfiguration), func(w http.ResponseWriter, r *http.Request) {
		peers, err := op.RaftPeers(r.Context())
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, peers)
	})
	h.handle(acl.Admin, "POST /v1/operator/raft/remove-peer", func(w http.ResponseWriter, r *http.Request) {
		id := r.URL.Query().Get("id")
		if id == "" {
			h.writeError(w, r, badRequest("id", "the id of the server to remove is required"))
			return
		}
		h.answerNoContent(w, r, op.RemoveRaftPeer(r.Context(), id))
	})
	h.handle(acl.Admin, "POST /v1/operator/raft/transfer-leader", func(w http.ResponseWriter, r *http.Request) {
		h.answerNoContent(w, r, op.TransferLeadership(r.Context(), r.URL.Query().Get("id")))
	})
}
