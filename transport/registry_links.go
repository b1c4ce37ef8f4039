package transport

import (
	"net/http"
	"strconv"

	"github.com/genie-cluster/genie/acl"
	"github.com/genie-cluster/genie/api"
	"github.com/genie-cluster/genie/fsm"
)

// The endpoints that relate one kind of resource to another.

func (h *handler) clusterRoutes() {
	// The commands whose cluster criteria select this cluster.
	h.handleRead(acl.Read, "GET /api/v3/clusters/{id}/commands", registryLinks, func(w http.ResponseWriter, r *http.Request) {
		cl := lookup(h, w, r, clusterKind)
		if cl == nil {
			return
		}
		statuses, err := statusParam(r, "command")
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		state := h.backend.State()
		out := []api.Command{}
		for _, c := range state.Commands(fsm.ResourceFilter{Statuses: statuses}) {
			if commandSelects(c, cl) {
				out = append(out, commandToDTO(c, baseURL(r)))
			}
		}
		writeHAL(w, http.StatusOK, out)
	})
	// Genie 3 linked commands to clusters by hand; Genie 4 resolves them
	// from the commands' cluster criteria and keeps these endpoints as
	// no-ops, so Genie 3 scripts keep working. So does genie.
	noop := func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }
	for _, method := range []string{"POST", "PUT", "DELETE"} {
		h.handle(acl.Admin, method+" /api/v3/clusters/{id}/commands", noop)
	}
	h.handle(acl.Admin, "DELETE /api/v3/clusters/{id}/commands/{commandId}", noop)
}

// commandSelects reports whether any of the command's cluster criteria (or,
// without criteria, none at all) selects cl.
func commandSelects(c *fsm.Command, cl *fsm.Cluster) bool {
	if len(c.ClusterCriteria) == 0 {
		return true
	}
	for _, crit := range c.ClusterCriteria {
		if crit.Matches(cl) {
			return true
		}
	}
	return false
}

func (h *handler) applicationRoutes() {
	h.handleRead(acl.Read, "GET /api/v3/applications/{id}/commands", registryLinks, func(w http.ResponseWriter, r *http.Request) {
		app := lookup(h, w, r, applicationKind)
		if app == nil {
			return
		}
		statuses, err := statusParam(r, "command")
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		out := []api.Command{}
		for _, c := range h.backend.State().CommandsUsingApplication(app.ID) {
			if len(statuses) == 0 || containsString(statuses, string(c.Status)) {
				out = append(out, commandToDTO(c, baseURL(r)))
			}
		}
		writeHAL(w, http.StatusOK, out)
	})
}

func (h *handler) commandRoutes() {
	const p = "/api/v3/commands/{id}"
	h.handleRead(acl.Read, "GET "+p+"/applications", registryLinks, func(w http.ResponseWriter, r *http.Request) {
		c := lookup(h, w, r, commandKind)
		if c == nil {
			return
		}
		state := h.backend.State()
		out := []api.Application{}
		for _, id := range c.Applications {
			if a := state.Application(id); a != nil {
				out = append(out, applicationToDTO(a, baseURL(r)))
			}
		}
		writeHAL(w, http.StatusOK, out)
	})
	h.handle(acl.Admin, "POST "+p+"/applications", func(w http.ResponseWriter, r *http.Request) {
		h.commandApplications(w, r, true)
	})
	h.handle(acl.Admin, "PUT "+p+"/applications", func(w http.ResponseWriter, r *http.Request) {
		h.commandApplications(w, r, false)
	})
	h.handle(acl.Admin, "DELETE "+p+"/applications", func(w http.ResponseWriter, r *http.Request) {
		err := modify(r.Context(), h, commandKind, r.PathValue("id"), func(c *fsm.Command) error {
			c.Applications = nil
			return nil
		})
		h.answerNoContent(w, r, err)
	})
	h.handle(acl.Admin, "DELETE "+p+"/applications/{appId}", func(w http.ResponseWriter, r *http.Request) {
		appID := r.PathValue("appId")
		err := modify(r.Context(), h, commandKind, r.PathValue("id"), func(c *fsm.Command) error {
			if !containsString(c.Applications, appID) {
				return notFound("Command %s has no application %s.", c.ID, appID)
			}
			c.Applications = without(c.Applications, appID)
			return nil
		})
		h.answerNoContent(w, r, err)
	})

	h.handleRead(acl.Read, "GET "+p+"/clusters", registryLinks, func(w http.ResponseWriter, r *http.Request) {
		c := lookup(h, w, r, commandKind)
		if c == nil {
			return
		}
		statuses, err := statusParam(r, "cluster")
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		out := []api.Cluster{}
		for _, cl := range h.backend.State().Clusters(fsm.ResourceFilter{Statuses: statuses}) {
			if commandSelects(c, cl) {
				out = append(out, clusterToDTO(cl, baseURL(r)))
			}
		}
		writeHAL(w, http.StatusOK, out)
	})
	h.handleRead(acl.Read, "GET "+p+"/resolvedClusters", registryLinks, func(w http.ResponseWriter, r *http.Request) {
		c := lookup(h, w, r, commandKind)
		if c == nil {
			return
		}
		addDefault := r.URL.Query().Get("addDefaultStatus") != "false"
		state := h.backend.State()
		out := []api.ResolvedResources{}
		for _, crit := range c.ClusterCriteria {
			if addDefault && crit.Status == "" {
				crit.Status = string(fsm.ClusterUp)
			}
			res := api.ResolvedResources{Criterion: criteriaToDTO([]fsm.Criterion{crit})[0], Resources: []api.Cluster{}}
			for _, cl := range state.ClustersMatching(crit) {
				res.Resources = append(res.Resources, clusterToDTO(cl, baseURL(r)))
			}
			out = append(out, res)
		}
		writeJSON(w, http.StatusOK, out)
	})

	h.handleRead(acl.Read, "GET "+p+"/clusterCriteria", registryLinks, func(w http.ResponseWriter, r *http.Request) {
		if c := lookup(h, w, r, commandKind); c != nil {
			writeJSON(w, http.StatusOK, criteriaToDTO(c.ClusterCriteria))
		}
	})
	// Add one criterion at the lowest priority.
	h.handle(acl.Admin, "POST "+p+"/clusterCriteria", func(w http.ResponseWriter, r *http.Request) {
		crit, err := decodeCriterion(r)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		h.answerCriteria(w, r, func(cur []fsm.Criterion) ([]fsm.Criterion, error) {
			return append(append([]fsm.Criterion(nil), cur...), crit), nil
		})
	})
	h.handle(acl.Admin, "PUT "+p+"/clusterCriteria", func(w http.ResponseWriter, r *http.Request) {
		var in []api.Criterion
		if err := decodeJSON(r, &in); err != nil {
			h.writeError(w, r, err)
			return
		}
		var v validator
		crits := criteriaFromDTO(&v, "clusterCriteria", in)
		if err := v.error(); err != nil {
			h.writeError(w, r, err)
			return
		}
		h.answerCriteria(w, r, func([]fsm.Criterion) ([]fsm.Criterion, error) { return crits, nil })
	})
	h.handle(acl.Admin, "PUT "+p+"/clusterCriteria/{priority}", func(w http.ResponseWriter, r *http.Request) {
		crit, err := decodeCriterion(r)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		prio, err := priorityParam(r)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		h.answerCriteria(w, r, func(cur []fsm.Criterion) ([]fsm.Criterion, error) {
			if prio > len(cur) {
				prio = len(cur)
			}
			out := append([]fsm.Criterion(nil), cur[:prio]...)
			out = append(out, crit)
			return append(out, cur[prio:]...), nil
		})
	})
	h.handle(acl.Admin, "DELETE "+p+"/clusterCriteria", func(w http.ResponseWriter, r *http.Request) {
		h.answerCriteria(w, r, func([]fsm.Criterion) ([]fsm.Criterion, error) { return nil, nil })
	})
	h.handle(acl.Admin, "DELETE "+p+"/clusterCriteria/{priority}", func(w http.ResponseWriter, r *http.Request) {
		prio, err := priorityParam(r)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		h.answerCriteria(w, r, func(cur []fsm.Criterion) ([]fsm.Criterion, error) {
			if prio >= len(cur) {
				return nil, notFound("Command has no cluster criterion at priority %d.", prio)
			}
			out := append([]fsm.Criterion(nil), cur[:prio]...)
			return append(out, cur[prio+1:]...), nil
		})
	})
}

// commandApplications appends (POST) or replaces (PUT) a command's ordered
// applications; every id must exist and appear once.
func (h *handler) commandApplications(w http.ResponseWriter, r *http.Request, appendIDs bool) {
	var ids []string
	if err := decodeJSON(r, &ids); err != nil {
		h.writeError(w, r, err)
		return
	}
	err := modify(r.Context(), h, commandKind, r.PathValue("id"), func(c *fsm.Command) error {
		next := ids
		if appendIDs {
			next = append(append([]string(nil), c.Applications...), ids...)
		}
		seen := make(map[string]bool, len(next))
		for i, id := range next {
			if seen[id] {
				return badRequest(indexed("applications", i), "application %s is listed twice", id)
			}
			seen[id] = true
			if h.backend.State().Application(id) == nil {
				return notFound("No application with id %s exists.", id)
			}
		}
		c.Applications = next
		return nil
	})
	h.answerNoContent(w, r, err)
}

// answerCriteria rewrites a command's cluster criteria and answers 200
// with the result, as Genie does.
func (h *handler) answerCriteria(w http.ResponseWriter, r *http.Request, fn func([]fsm.Criterion) ([]fsm.Criterion, error)) {
	var result []fsm.Criterion
	err := modify(r.Context(), h, commandKind, r.PathValue("id"), func(c *fsm.Command) error {
		next, err := fn(c.ClusterCriteria)
		if err != nil {
			return err
		}
		c.ClusterCriteria = next
		result = next
		return nil
	})
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, criteriaToDTO(result))
}

// decodeCriterion reads and validates one cluster criterion from the body.
func decodeCriterion(r *http.Request) (fsm.Criterion, error) {
	var in api.Criterion
	if err := decodeJSON(r, &in); err != nil {
		return fsm.Criterion{}, err
	}
	var v validator
	crit := criterionFromDTO(&v, "criterion", in)
	return crit, v.error()
}

func priorityParam(r *http.Request) (int, error) {
	s := r.PathValue("priority")
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, badRequest("priority", "%q is not a priority (0 or more)", s)
	}
	return n, nil
}

// statusParam reads the status filter of a relation endpoint.
func statusParam(r *http.Request, kind string) ([]string, error) {
	statuses := normalizedValues(r.URL.Query()["status"])
	return statuses, validateResourceStatuses(kind, statuses)
}

// registryLinks scopes the views that join clusters, commands and
// applications.
var registryLinks = tables(fsm.TableClusters, fsm.TableCommands, fsm.TableApplications)
