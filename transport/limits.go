package transport

import (
	"net/http"

	"github.com/genie-cluster/genie/acl"
	"github.com/genie-cluster/genie/api"
	"github.com/genie-cluster/genie/fsm"
)

func (h *handler) limitsRoutes() {
	h.handle(acl.Read, "GET /v1/operator/limits", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, limitsToDTO(h.backend.State().Limits()))
	})
	h.handle(acl.Admin, "PUT /v1/operator/limits", func(w http.ResponseWriter, r *http.Request) {
		var u api.LimitsUpdate
		if err := decodeJSON(r, &u); err != nil {
			h.writeError(w, r, err)
			return
		}
		var v validator
		v.optional("user", u.User, maxShort)
		if u.UserActive < 0 {
			v.fail("userActive", "must not be negative (0 removes the limit)")
		}
		if err := v.error(); err != nil {
			h.writeError(w, r, err)
			return
		}
		if _, err := h.backend.Apply(r.Context(), fsm.LimitsRequestType, &fsm.LimitsRequest{User: u.User, UserActive: u.UserActive}); err != nil {
			h.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, limitsToDTO(h.backend.State().Limits()))
	})
}

func limitsToDTO(l *fsm.Limits) api.Limits {
	out := api.Limits{Users: map[string]int{}}
	if l != nil {
		out.UserActive = l.UserActive
		for u, n := range l.UserActiveByUser {
			out.Users[u] = n
		}
	}
	return out
}
