package transport

import (
	"context"
	"net/http"
	"strings"

	"github.com/genie-cluster/genie/acl"
	"github.com/genie-cluster/genie/api"
)

// InternalKeyringPath is where a node reads and changes a peer's own
// gossip keyring.
const InternalKeyringPath = "/v1/internal/keyring"

// Keyring is what the gossip keyring endpoints need from a node.
type Keyring interface {
	// LocalKeyring lists this node's gossip keys, primary first.
	LocalKeyring() api.NodeKeyring
	// ChangeLocalKeyring installs, uses or removes key on this node alone.
	ChangeLocalKeyring(op, key string) error
	// ClusterKeyring lists the keys of every alive node.
	ClusterKeyring(ctx context.Context) (*api.GossipKeyring, error)
	// ChangeClusterKeyring makes the change on every alive node; an
	// error names the nodes that failed.
	ChangeClusterKeyring(ctx context.Context, op, key string) (*api.KeyringResult, error)
}

func (h *handler) keyringRoutes() {
	kr, ok := h.backend.(Keyring)
	if !ok {
		return
	}
	h.handle(acl.Admin, "GET /v1/operator/keyring", func(w http.ResponseWriter, r *http.Request) {
		ring, err := kr.ClusterKeyring(r.Context())
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, ring)
	})
	h.handle(acl.Admin, "POST /v1/operator/keyring", func(w http.ResponseWriter, r *http.Request) {
		req, err := decodeKeyringRequest(r)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		res, err := kr.ChangeClusterKeyring(r.Context(), req.Op, req.Key)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, res)
	})
	h.handle(acl.Server, "GET "+InternalKeyringPath, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, kr.LocalKeyring())
	})
	h.handle(acl.Server, "POST "+InternalKeyringPath, func(w http.ResponseWriter, r *http.Request) {
		req, err := decodeKeyringRequest(r)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		if err := kr.ChangeLocalKeyring(req.Op, req.Key); err != nil {
			h.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, kr.LocalKeyring())
	})
}

// decodeKeyringRequest reads a keyring change. The key's own checks
// (base64, length) are the node's: it is the one that decodes keys.
func decodeKeyringRequest(r *http.Request) (api.KeyringRequest, error) {
	var req api.KeyringRequest
	if err := decodeJSON(r, &req); err != nil {
		return req, err
	}
	return req, validateKeyringRequest(&req)
}

func validateKeyringRequest(req *api.KeyringRequest) error {
	var v validator
	switch req.Op {
	case api.KeyringInstall, api.KeyringUse, api.KeyringRemove:
	case "":
		v.fail("op", "is required: install, use or remove")
	default:
		v.fail("op", "must be install, use or remove")
	}
	if strings.TrimSpace(req.Key) == "" {
		v.fail("key", "is required: a base64 key of 16, 24 or 32 bytes")
	}
	return v.error()
}
