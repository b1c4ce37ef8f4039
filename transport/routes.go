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
		if r.Method == http.MethodGet && r.URL.Query().Get("consistent") == "true" {
			// Reads are served from the local replica; a consistent one
			// first makes sure the replica has every write committed
			// before it.
			if in, ok := h.backend.(Internal); ok {
				if err := in.ReadBarrier(r.Context()); err != nil {
					h.writeError(w, r, err)
					return
				}
			}
		}
		fn(w, r)
	})
}

// Routes returns the route table of a handler made by NewHandler.
func Routes(h http.Handler) []Route {
	if hh, ok := h.(*handler); ok {
		return append([]Route(nil), hh.routeTable...)
	}
	return nil
}
