package transport

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/google/uuid"

	"github.com/genie-cluster/genie/acl"
	"github.com/genie-cluster/genie/api"
	"github.com/genie-cluster/genie/fsm"
)

// registryKind describes one kind of registry resource (T is the stored
// record, D its wire DTO) so clusters, commands and applications share one
// implementation of create, read, search, update, patch, delete and the
// tags/configs/dependencies sub-resources.
type registryKind[T any, D any] struct {
	singular string // "cluster"
	plural   string // "clusters"
	listKey  string // "clusterList"
	msgType  fsm.MessageType
	table    fsm.Table

	get      func(s *fsm.State, id string) *T
	search   func(s *fsm.State, f fsm.ResourceFilter) []*T
	resource func(*T) *fsm.Resource
	toDTO    func(t *T, base string) D
	fromDTO  func(*D) (T, error)
	request  func(op fsm.RegistryOp, t T, expect uint64) interface{}
	embed    func(items []D) *api.PageEmbedded
	// defaultSize is Genie's page size for this kind's searches.
	defaultSize int
}

var clusterKind = &registryKind[fsm.Cluster, api.Cluster]{
	singular: "cluster", plural: "clusters", listKey: "clusterList", msgType: fsm.ClusterRequestType, table: fsm.TableClusters,
	get:      (*fsm.State).Cluster,
	search:   (*fsm.State).Clusters,
	resource: func(c *fsm.Cluster) *fsm.Resource { return &c.Resource },
	toDTO:    clusterToDTO,
	fromDTO:  clusterFromDTO,
	request: func(op fsm.RegistryOp, c fsm.Cluster, expect uint64) interface{} {
		return &fsm.ClusterRequest{Op: op, Cluster: c, ExpectIndex: expect}
	},
	embed:       func(items []api.Cluster) *api.PageEmbedded { return &api.PageEmbedded{Clusters: items} },
	defaultSize: 64,
}

var commandKind = &registryKind[fsm.Command, api.Command]{
	singular: "command", plural: "commands", listKey: "commandList", msgType: fsm.CommandRequestType, table: fsm.TableCommands,
	get:      (*fsm.State).Command,
	search:   (*fsm.State).Commands,
	resource: func(c *fsm.Command) *fsm.Resource { return &c.Resource },
	toDTO:    commandToDTO,
	fromDTO:  commandFromDTO,
	request: func(op fsm.RegistryOp, c fsm.Command, expect uint64) interface{} {
		return &fsm.CommandRequest{Op: op, Command: c, ExpectIndex: expect}
	},
	embed:       func(items []api.Command) *api.PageEmbedded { return &api.PageEmbedded{Commands: items} },
	defaultSize: 64,
}

var applicationKind = &registryKind[fsm.Application, api.Application]{
	singular: "application", plural: "applications", listKey: "applicationList", msgType: fsm.ApplicationRequestType, table: fsm.TableApplications,
	get:      (*fsm.State).Application,
	search:   (*fsm.State).Applications,
	resource: func(a *fsm.Application) *fsm.Resource { return &a.Resource },
	toDTO:    applicationToDTO,
	fromDTO:  applicationFromDTO,
	request: func(op fsm.RegistryOp, a fsm.Application, expect uint64) interface{} {
		return &fsm.ApplicationRequest{Op: op, Application: a, ExpectIndex: expect}
	},
	embed:       func(items []api.Application) *api.PageEmbedded { return &api.PageEmbedded{Applications: items} },
	defaultSize: 10,
}

// registryRoutes wires the endpoints every registry kind has.
func registryRoutes[T any, D any](h *handler, k *registryKind[T, D]) {
	p := "/api/v3/" + k.plural
	h.handle(acl.Admin, "POST "+p, func(w http.ResponseWriter, r *http.Request) { registryCreate(h, w, r, k) })
	h.handleRead(acl.Read, "GET "+p, tables(k.table), func(w http.ResponseWriter, r *http.Request) { registrySearch(h, w, r, k) })
	h.handle(acl.Admin, "DELETE "+p, func(w http.ResponseWriter, r *http.Request) { registryDeleteAll(h, w, r, k) })
	h.handleRead(acl.Read, "GET "+p+"/{id}", resourceRecord(k.table), func(w http.ResponseWriter, r *http.Request) {
		if t := lookup(h, w, r, k); t != nil {
			writeHAL(w, http.StatusOK, k.toDTO(t, baseURL(r)))
		}
	})
	h.handle(acl.Admin, "PUT "+p+"/{id}", func(w http.ResponseWriter, r *http.Request) { registryUpdate(h, w, r, k) })
	h.handle(acl.Admin, "PATCH "+p+"/{id}", func(w http.ResponseWriter, r *http.Request) { registryPatch(h, w, r, k) })
	h.handle(acl.Admin, "DELETE "+p+"/{id}", func(w http.ResponseWriter, r *http.Request) { registryDelete(h, w, r, k) })

	for _, field := range []string{"tags", "configs", "dependencies"} {
		field := field
		h.handleRead(acl.Read, "GET "+p+"/{id}/"+field, resourceRecord(k.table), func(w http.ResponseWriter, r *http.Request) {
			if t := lookup(h, w, r, k); t != nil {
				writeJSON(w, http.StatusOK, listField(k.resource(t), field))
			}
		})
		for _, method := range []string{"POST", "PUT", "DELETE"} {
			method := method
			h.handle(acl.Admin, method+" "+p+"/{id}/"+field, func(w http.ResponseWriter, r *http.Request) {
				registryListField(h, w, r, k, field, method)
			})
		}
	}
	h.handle(acl.Admin, "DELETE "+p+"/{id}/tags/{tag}", func(w http.ResponseWriter, r *http.Request) {
		tag := r.PathValue("tag")
		err := modify(r.Context(), h, k, r.PathValue("id"), func(t *T) error {
			res := k.resource(t)
			res.Tags = without(res.Tags, tag)
			return nil
		})
		h.answerNoContent(w, r, err)
	})
}

// lookup finds the resource named by the {id} path value, answering 404
// when it does not exist.
func lookup[T any, D any](h *handler, w http.ResponseWriter, r *http.Request, k *registryKind[T, D]) *T {
	id := r.PathValue("id")
	t := k.get(h.backend.State(), id)
	if t == nil {
		h.writeError(w, r, notFound("No %s with id %s exists.", k.singular, id))
	}
	return t
}

func registryCreate[T any, D any](h *handler, w http.ResponseWriter, r *http.Request, k *registryKind[T, D]) {
	var dto D
	if err := decodeJSON(r, &dto); err != nil {
		h.writeError(w, r, err)
		return
	}
	t, err := k.fromDTO(&dto)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	res := k.resource(&t)
	if res.ID == "" {
		res.ID = uuid.NewString()
	}
	now := time.Now().UnixMilli()
	res.Created, res.Updated = now, now
	res.WriteToken = uuid.NewString()
	if _, err := h.backend.Apply(r.Context(), k.msgType, k.request(fsm.OpCreate, t, 0)); err != nil {
		h.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", baseURL(r)+"/api/v3/"+k.plural+"/"+res.ID)
	w.WriteHeader(http.StatusCreated)
}

func registrySearch[T any, D any](h *handler, w http.ResponseWriter, r *http.Request, k *registryKind[T, D]) {
	q := r.URL.Query()
	paging, err := parsePaging(q, k.defaultSize)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	filter := fsm.ResourceFilter{
		Name:     q.Get("name"),
		User:     q.Get("user"),
		Statuses: normalizedValues(q["status"]),
		Tags:     multiValues(q["tag"]),
		Type:     q.Get("type"),
	}
	if err := validateResourceStatuses(k.singular, filter.Statuses); err != nil {
		h.writeError(w, r, err)
		return
	}
	if filter.MinUpdated, err = millisParam(q, "minUpdateTime"); err != nil {
		h.writeError(w, r, err)
		return
	}
	if filter.MaxUpdated, err = millisParam(q, "maxUpdateTime"); err != nil {
		h.writeError(w, r, err)
		return
	}
	all := k.search(h.backend.State(), filter)
	base := baseURL(r)
	items := make([]D, 0, paging.size)
	for _, t := range paging.window(len(all)) {
		items = append(items, k.toDTO(all[t], base))
	}
	writeHAL(w, http.StatusOK, paging.page(r, len(all), k.embed(items)))
}

func registryUpdate[T any, D any](h *handler, w http.ResponseWriter, r *http.Request, k *registryKind[T, D]) {
	id := r.PathValue("id")
	var dto D
	if err := decodeJSON(r, &dto); err != nil {
		h.writeError(w, r, err)
		return
	}
	t, err := k.fromDTO(&dto)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	if err := checkBodyID(k.resource(&t), id); err != nil {
		h.writeError(w, r, err)
		return
	}
	err = modify(r.Context(), h, k, id, func(cur *T) error {
		keepCommandApplications(cur, &t)
		*cur = t
		return nil
	})
	h.answerNoContent(w, r, err)
}

// checkBodyID enforces Genie's rule that a PUT body's id, when given,
// equals the path's.
func checkBodyID(res *fsm.Resource, id string) error {
	if res.ID != "" && res.ID != id {
		return badRequest("id", "the body's id %s does not match the path's %s", res.ID, id)
	}
	res.ID = id
	return nil
}

// keepCommandApplications carries a command's applications through a full
// update: the v3 Command DTO does not hold them.
func keepCommandApplications[T any](cur, next *T) {
	c, ok := any(cur).(*fsm.Command)
	if !ok {
		return
	}
	any(next).(*fsm.Command).Applications = c.Applications
}

func registryPatch[T any, D any](h *handler, w http.ResponseWriter, r *http.Request, k *registryKind[T, D]) {
	id := r.PathValue("id")
	var patchDoc json.RawMessage
	if err := decodeJSON(r, &patchDoc); err != nil {
		h.writeError(w, r, err)
		return
	}
	patch, err := jsonpatch.DecodePatch(patchDoc)
	if err != nil {
		h.writeError(w, r, badRequest("", "not a JSON Patch (RFC 6902) document: %v", err))
		return
	}
	base := baseURL(r)
	err = modify(r.Context(), h, k, id, func(cur *T) error {
		doc, err := json.Marshal(k.toDTO(cur, base))
		if err != nil {
			return err
		}
		patched, err := patch.Apply(doc)
		if err != nil {
			return invalid("", "JSON Patch does not apply: %v", err)
		}
		var dto D
		if err := decodeBytes(patched, &dto); err != nil {
			return err
		}
		next, err := k.fromDTO(&dto)
		if err != nil {
			return err
		}
		if err := checkBodyID(k.resource(&next), id); err != nil {
			return err
		}
		keepCommandApplications(cur, &next)
		*cur = next
		return nil
	})
	h.answerNoContent(w, r, err)
}

func registryDelete[T any, D any](h *handler, w http.ResponseWriter, r *http.Request, k *registryKind[T, D]) {
	id := r.PathValue("id")
	var t T
	res := k.resource(&t)
	// The token lets a retry of this delete, after a lost answer, succeed.
	res.ID, res.WriteToken = id, uuid.NewString()
	_, err := h.backend.Apply(r.Context(), k.msgType, k.request(fsm.OpDelete, t, 0))
	if fsm.CodeOf(err) == fsm.ErrCodeNotFound {
		err = notFound("No %s with id %s exists.", k.singular, id)
	}
	h.answerNoContent(w, r, err)
}

// registryDeleteAll deletes every resource of the kind in one raft entry,
// or none when any is in use (409 naming them), as Genie's delete-all does.
func registryDeleteAll[T any, D any](h *handler, w http.ResponseWriter, r *http.Request, k *registryKind[T, D]) {
	var t T
	// The token lets a retry after a lost answer succeed without deleting
	// what was created since.
	k.resource(&t).WriteToken = uuid.NewString()
	_, err := h.backend.Apply(r.Context(), k.msgType, k.request(fsm.OpDeleteAll, t, 0))
	h.answerNoContent(w, r, err)
}

// registryListField answers POST (add), PUT (replace) and DELETE (remove
// all) on tags, configs and dependencies.
func registryListField[T any, D any](h *handler, w http.ResponseWriter, r *http.Request, k *registryKind[T, D], field, method string) {
	var values []string
	if method != http.MethodDelete {
		if err := decodeJSON(r, &values); err != nil {
			h.writeError(w, r, err)
			return
		}
		var v validator
		if field == "tags" {
			values = v.tags(field, values)
		} else {
			values = v.uris(field, values)
		}
		if err := v.error(); err != nil {
			h.writeError(w, r, err)
			return
		}
	}
	err := modify(r.Context(), h, k, r.PathValue("id"), func(t *T) error {
		res := k.resource(t)
		cur := listField(res, field)
		if field == "tags" {
			cur = res.Tags
		}
		var next []string
		switch method {
		case http.MethodPost:
			next = union(cur, values)
		case http.MethodPut:
			next = values
		}
		setListField(res, field, next)
		return nil
	})
	h.answerNoContent(w, r, err)
}

// modify is a read-modify-write of one resource that never loses a
// concurrent change: the update is conditional on the version read, and a
// conflict means read again and redo.
func modify[T any, D any](ctx context.Context, h *handler, k *registryKind[T, D], id string, fn func(*T) error) error {
	const attempts = 16
	for i := 0; i < attempts; i++ {
		cur := k.get(h.backend.State(), id)
		if cur == nil {
			return notFound("No %s with id %s exists.", k.singular, id)
		}
		next := *cur
		if err := fn(&next); err != nil {
			return err
		}
		res := k.resource(&next)
		res.ID = id
		res.Updated = time.Now().UnixMilli()
		res.WriteToken = uuid.NewString()
		_, err := h.backend.Apply(ctx, k.msgType, k.request(fsm.OpUpdate, next, k.resource(cur).ModifyIndex))
		if fsm.CodeOf(err) != fsm.ErrCodeModified {
			return err
		}
	}
	return fsm.Errorf(fsm.ErrCodeModified, "%s %s is being changed by others: try again", k.singular, id)
}

func (h *handler) answerNoContent(w http.ResponseWriter, r *http.Request, err error) {
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func listField(res *fsm.Resource, field string) []string {
	switch field {
	case "tags":
		return res.AllTags()
	case "configs":
		return nonNil(res.Configs)
	case "dependencies":
		return nonNil(res.Dependencies)
	}
	return []string{}
}

func setListField(res *fsm.Resource, field string, values []string) {
	switch field {
	case "tags":
		res.Tags = values
	case "configs":
		res.Configs = values
	case "dependencies":
		res.Dependencies = values
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// union returns a new slice with a's elements then b's not already in a.
func union(a, b []string) []string {
	out := append([]string(nil), a...)
	for _, x := range b {
		if !containsString(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// without returns a new slice holding s minus x.
func without(s []string, x string) []string {
	out := make([]string, 0, len(s))
	for _, y := range s {
		if y != x {
			out = append(out, y)
		}
	}
	return out
}

func containsString(s []string, x string) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

// multiValues splits repeated and comma-separated query values.
func multiValues(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	}
	return out
}

func normalizedValues(vals []string) []string {
	out := multiValues(vals)
	for i := range out {
		out[i] = api.NormalizeEnum(out[i])
	}
	return out
}

func validateResourceStatuses(kind string, statuses []string) error {
	for _, s := range statuses {
		var ok bool
		if kind == "cluster" {
			ok = api.ClusterStatus(s).Valid()
		} else {
			ok = api.CommandStatus(s).Valid()
		}
		if !ok {
			return invalid("status", "%q is not a %s status", s, kind)
		}
	}
	return nil
}
