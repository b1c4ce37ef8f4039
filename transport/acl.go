package transport

import (
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/genie-cluster/genie/acl"
	"github.com/genie-cluster/genie/api"
	"github.com/genie-cluster/genie/fsm"
)

// maxTokenField bounds a token's name and user.
const maxTokenField = maxShort

func (h *handler) aclRoutes() {
	h.handle(acl.Anyone, "POST /v1/acl/bootstrap", h.aclBootstrap)
	h.handle(acl.Admin, "POST /v1/acl/tokens", h.aclCreateToken)
	h.handleRead(acl.Admin, "GET /v1/acl/tokens", tables(fsm.TableACLTokens), func(w http.ResponseWriter, r *http.Request) {
		out := []api.ACLToken{}
		for _, t := range h.backend.State().ACLTokens() {
			out = append(out, tokenToDTO(t, ""))
		}
		writeJSON(w, http.StatusOK, out)
	})
	h.handleRead(acl.Read, "GET /v1/acl/token/self", tables(fsm.TableACLTokens), func(w http.ResponseWriter, r *http.Request) {
		a := authorizerOf(r)
		if !a.Enforced() {
			h.writeError(w, r, badRequest("", "ACLs are disabled on this cluster, or the caller is a server: there is no token"))
			return
		}
		h.writeToken(w, r, a.AccessorID)
	})
	h.handleRead(acl.Admin, "GET /v1/acl/token/{accessorId}", tables(fsm.TableACLTokens), func(w http.ResponseWriter, r *http.Request) {
		h.writeToken(w, r, r.PathValue("accessorId"))
	})
	h.handle(acl.Admin, "DELETE /v1/acl/token/{accessorId}", func(w http.ResponseWriter, r *http.Request) {
		_, err := h.backend.Apply(r.Context(), fsm.ACLTokenRequestType, &fsm.ACLTokenRequest{
			Op: fsm.OpDelete, Token: fsm.ACLToken{AccessorID: r.PathValue("accessorId")}})
		h.answerNoContent(w, r, err)
	})
}

func (h *handler) writeToken(w http.ResponseWriter, r *http.Request, accessorID string) {
	t := h.backend.State().ACLToken(accessorID)
	if t == nil {
		h.writeError(w, r, notFound("No ACL token with accessor id %s", accessorID))
		return
	}
	writeJSON(w, http.StatusOK, tokenToDTO(t, ""))
}

// aclBootstrap makes the cluster's first admin token. The state machine
// refuses a second one unless this node's reset file names the bootstrap
// done before.
func (h *handler) aclBootstrap(w http.ResponseWriter, r *http.Request) {
	if !h.aclEnabled {
		h.writeError(w, r, badRequest("", "ACLs are disabled on this node (start it with -acl-enabled)"))
		return
	}
	var reset uint64
	if h.aclResetIndex != nil {
		var err error
		if reset, err = h.aclResetIndex(); err != nil {
			h.writeError(w, r, err)
			return
		}
	}
	secret := acl.NewSecret()
	tok := newToken(secret, "Bootstrap Token", "admin", acl.RoleAdmin, 0)
	if _, err := h.backend.Apply(r.Context(), fsm.ACLBootstrapRequestType, &fsm.ACLBootstrapRequest{Token: tok, ResetIndex: reset}); err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, tokenToDTO(&tok, secret))
}

func (h *handler) aclCreateToken(w http.ResponseWriter, r *http.Request) {
	var req api.ACLTokenCreateRequest
	if err := decodeJSON(r, &req); err != nil {
		h.writeError(w, r, err)
		return
	}
	var v validator
	v.required("name", req.Name, maxTokenField)
	v.required("user", req.User, maxTokenField)
	role, err := acl.ParseRole(req.Role)
	if err != nil {
		v.fail("role", "%v", err)
	}
	var ttl time.Duration
	if req.TTL != "" {
		if ttl, err = time.ParseDuration(req.TTL); err != nil || ttl <= 0 {
			v.fail("ttl", "%q is not a positive duration such as 72h", req.TTL)
		}
	}
	if err := v.error(); err != nil {
		h.writeError(w, r, err)
		return
	}
	secret := acl.NewSecret()
	tok := newToken(secret, req.Name, req.User, role, ttl)
	if _, err := h.backend.Apply(r.Context(), fsm.ACLTokenRequestType, &fsm.ACLTokenRequest{Op: fsm.OpCreate, Token: tok}); err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, tokenToDTO(&tok, secret))
}

// newToken makes a token record; only the secret's hash goes into it.
func newToken(secret, name, user string, role acl.Role, ttl time.Duration) fsm.ACLToken {
	now := time.Now()
	t := fsm.ACLToken{AccessorID: uuid.NewString(), SecretHash: acl.HashSecret(secret),
		Name: name, User: user, Role: string(role), CreateTime: now.UnixMilli()}
	if ttl > 0 {
		t.ExpirationTime = now.Add(ttl).UnixMilli()
	}
	return t
}

// tokenToDTO shows a token; secret is given only by the answer that made it.
func tokenToDTO(t *fsm.ACLToken, secret string) api.ACLToken {
	return api.ACLToken{AccessorID: t.AccessorID, SecretID: secret, Name: t.Name, User: t.User, Role: t.Role,
		CreateTime: api.UnixMilli(t.CreateTime), ExpirationTime: api.UnixMilli(t.ExpirationTime)}
}
