package transport

import (
	"net/http"

	"github.com/genie-cluster/genie/acl"
)

// Route is one entry of the route table: a ServeMux pattern and the access
// it needs. Every route is registered through handle, so the table is
// whole and the one authorizing middleware sees every request.
type Route struct {
	Pattern string
	Access  acl.Access
}

// handle registers fn for pattern behind the authorizing middleware.
func (h *handler) handle(access acl.Access, pattern string, fn http.HandlerFunc) {
	h.routeTable = append(h.routeTable, Route{Pattern: pattern, Access: access})
	h.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		r, err := h.authorize(r, access)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		if in, ok := h.backend.(Internal); ok {
			if r.Method == http.MethodGet && r.URL.Query().Get("consistent") == "true" {
				// Reads are served from the local replica; a consistent
				// one first makes sure the replica has every write
				// committed before it.
				if err := in.ReadBarrier(r.Context()); err != nil {
					h.writeError(w, r, err)
					return
				}
			} else if readsOwnWrites(access) {
				in.ReadOwnWrites(r.Context())
			}
		}
		fn(w, r)
	})
}

// readsOwnWrites tells the routes that see what clients wrote through this
// node: all but job submissions (answered from the leader's commit), health
// and the node-to-node calls, which must not wait on this replica.
func readsOwnWrites(access acl.Access) bool {
	switch access {
	case acl.Anyone, acl.Submit, acl.Server:
		return false
	}
	return true
}

// Routes returns the route table of a handler made by NewHandler.
func Routes(h http.Handler) []Route {
	if hh, ok := h.(*handler); ok {
		return append([]Route(nil), hh.routeTable...)
	}
	return nil
}
