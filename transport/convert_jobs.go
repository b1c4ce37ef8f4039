package transport

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/mail"
	"strings"
	"time"

	"github.com/genie-cluster/genie/api"
	"github.com/genie-cluster/genie/fsm"
)

// jobRequestFromDTO validates a job request and normalises it the way it
// is stored: blanks dropped, one form of the arguments kept.
func jobRequestFromDTO(d *api.JobRequest) (fsm.JobRequest, error) {
	var v validator
	v.id("id", d.ID)
	v.required("name", d.Name, maxShort)
	v.required("user", d.User, maxShort)
	v.optional("version", d.Version, maxShort)
	v.optional("description", d.Description, maxDescription)
	req := fsm.JobRequest{
		ID:               d.ID,
		Name:             strings.TrimSpace(d.Name),
		User:             strings.TrimSpace(d.User),
		Version:          strings.TrimSpace(d.Version),
		Description:      d.Description,
		Tags:             v.tags("tags", d.Tags),
		Configs:          v.uris("configs", d.Configs),
		Dependencies:     v.uris("dependencies", d.Dependencies),
		SetupFile:        strings.TrimSpace(d.SetupFile),
		Group:            strings.TrimSpace(d.Group),
		Email:            strings.TrimSpace(d.Email),
		Grouping:         d.Grouping,
		GroupingInstance: d.GroupingInstance,
		Applications:     d.Applications,

		DisableLogArchival: d.DisableLogArchival,
	}
	if len(d.Metadata) > 0 {
		req.Metadata = append([]byte(nil), d.Metadata...)
	}
	if req.SetupFile != "" {
		v.uri("setupFile", req.SetupFile)
	}
	v.optional("group", req.Group, maxShort)
	v.optional("grouping", req.Grouping, maxShort)
	v.optional("groupingInstance", req.GroupingInstance, maxShort)
	if req.Email != "" {
		v.optional("email", req.Email, maxShort)
		if _, err := mail.ParseAddress(req.Email); err != nil {
			v.fail("email", "%q is not an email address", req.Email)
		}
	}
	for i, id := range req.Applications {
		v.id(indexed("applications", i), id)
		if id == "" {
			v.fail(indexed("applications", i), "must not be blank")
		}
	}

	if len(d.ClusterCriterias) == 0 {
		v.fail("clusterCriterias", "at least one cluster criterion is required, e.g. [{\"tags\": [\"sched:adhoc\"]}]")
	}
	for i, c := range d.ClusterCriterias {
		field := indexed("clusterCriterias", i) + ".tags"
		tags := nonBlank(c.Tags)
		if len(tags) == 0 {
			v.fail(field, "a cluster criterion needs at least one tag")
		}
		for j, t := range tags {
			v.optional(indexed(field, j), t, maxShort)
		}
		req.ClusterCriterias = append(req.ClusterCriterias, tags)
	}
	req.CommandCriteria = nonBlank(d.CommandCriteria)
	if len(req.CommandCriteria) == 0 {
		v.fail("commandCriteria", "at least one command tag is required, e.g. [\"type:shell\"]")
	}
	for i, t := range req.CommandCriteria {
		v.optional(indexed("commandCriteria", i), t, maxShort)
	}

	// commandArguments, when given, wins over commandArgs, as in Genie.
	if len(d.CommandArguments) > 0 {
		req.CommandArguments = append([]string(nil), d.CommandArguments...)
		total := 0
		for i, a := range req.CommandArguments {
			total += len(a) + 1
			if strings.ContainsRune(a, 0) {
				v.fail(indexed("commandArguments", i), "must not contain a NUL character")
			}
		}
		if total > maxCommandArgs {
			v.fail("commandArguments", "are %d characters long together, at most %d are allowed", total, maxCommandArgs)
		}
	} else if strings.TrimSpace(d.CommandArgs) != "" {
		req.CommandArgs = d.CommandArgs
		v.optional("commandArgs", req.CommandArgs, maxCommandArgs)
	}

	if d.Timeout != nil {
		if *d.Timeout < 1 {
			v.fail("timeout", "must be at least 1 second")
		}
		req.Timeout = *d.Timeout
	}
	if d.Memory != nil {
		if *d.Memory < 1 {
			v.fail("memory", "must be at least 1 MB")
		}
		req.Memory = *d.Memory
	}
	if d.CPU != nil {
		if *d.CPU < 1 {
			v.fail("cpu", "must be at least 1")
		}
		req.CPU = *d.CPU
	}
	return req, v.error()
}

func nonBlank(in []string) []string {
	var out []string
	for _, s := range in {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// requestHash identifies a normalised request: two submissions with the
// same client id are the same job exactly when their hashes match.
func requestHash(req *fsm.JobRequest) string {
	buf, _ := json.Marshal(req)
	sum := sha256.Sum256(buf)
	return hex.EncodeToString(sum[:])
}

func jobLinks(base, id string, j *fsm.Job) api.Links {
	self := base + "/api/v3/jobs/" + id
	links := api.Links{
		"self":      {Href: self},
		"output":    {Href: self + "/output"},
		"request":   {Href: self + "/request"},
		"execution": {Href: self + "/execution"},
		"metadata":  {Href: self + "/metadata"},
		"status":    {Href: self + "/status"},
	}
	if j != nil {
		links["job"] = api.Link{Href: self}
		if j.ClusterID != "" {
			links["cluster"] = api.Link{Href: self + "/cluster"}
		}
		if j.CommandID != "" {
			links["command"] = api.Link{Href: self + "/command"}
		}
		links["applications"] = api.Link{Href: self + "/applications"}
	}
	return links
}

// jobRuntime is how long the job ran: until it finished, or until now.
func jobRuntime(j *fsm.Job, now time.Time) api.Duration {
	switch {
	case j.Started == 0:
		return 0
	case j.Finished != 0:
		return api.Duration(time.Duration(j.Finished-j.Started) * time.Millisecond)
	}
	return api.Duration(now.Sub(time.UnixMilli(j.Started)).Truncate(time.Millisecond))
}

func commandArgsString(req *fsm.JobRequest) string {
	if len(req.CommandArguments) > 0 {
		return strings.Join(req.CommandArguments, " ")
	}
	return req.CommandArgs
}

func jobToDTO(j *fsm.Job, base string, now time.Time) api.Job {
	links := jobLinks(base, j.ID, j)
	delete(links, "job")
	return api.Job{
		ID: j.ID, Created: api.UnixMilli(j.Created), Updated: api.UnixMilli(j.Updated),
		Version: j.Request.Version, User: j.Request.User, Name: j.Request.Name,
		Description: j.Request.Description, Metadata: j.Request.Metadata, Tags: j.Request.Tags,
		SetupFile: j.Request.SetupFile, Status: api.JobStatus(j.Status), StatusMsg: j.StatusMsg,
		Started: api.UnixMilli(j.Started), Finished: api.UnixMilli(j.Finished),
		ArchiveLocation: j.ArchiveLocation, ClusterName: j.ClusterName, CommandName: j.CommandName,
		Runtime: jobRuntime(j, now), CommandArgs: commandArgsString(&j.Request),
		Grouping: j.Request.Grouping, GroupingInstance: j.Request.GroupingInstance,
		Links: links,
	}
}

func jobSearchResultToDTO(j *fsm.Job, base string, now time.Time) api.JobSearchResult {
	return api.JobSearchResult{
		ID: j.ID, Name: j.Request.Name, User: j.Request.User, Status: api.JobStatus(j.Status),
		Started: api.UnixMilli(j.Started), Finished: api.UnixMilli(j.Finished),
		ClusterName: j.ClusterName, CommandName: j.CommandName, Runtime: jobRuntime(j, now),
		HostName: j.NodeName,
		Links:    api.Links{"self": {Href: base + "/api/v3/jobs/" + j.ID}},
	}
}

func jobRequestToDTO(j *fsm.Job, base string) api.JobRequest {
	r := &j.Request
	d := api.JobRequest{
		ID: r.ID, Version: r.Version, User: r.User, Name: r.Name, Description: r.Description,
		Metadata: r.Metadata, Tags: r.Tags, Configs: r.Configs, Dependencies: r.Dependencies,
		SetupFile: r.SetupFile, CommandCriteria: r.CommandCriteria,
		CommandArgs: r.CommandArgs, CommandArguments: r.CommandArguments,
		Group: r.Group, DisableLogArchival: r.DisableLogArchival, Email: r.Email,
		Applications: r.Applications, Grouping: r.Grouping, GroupingInstance: r.GroupingInstance,
		Links: requestLinks(base, j.ID),
	}
	for _, tags := range r.ClusterCriterias {
		d.ClusterCriterias = append(d.ClusterCriterias, api.ClusterCriteria{Tags: tags})
	}
	if r.CPU > 0 {
		d.CPU = intPtr(r.CPU)
	}
	if r.Memory > 0 {
		d.Memory = intPtr(r.Memory)
	}
	if r.Timeout > 0 {
		d.Timeout = intPtr(r.Timeout)
	}
	return d
}

func requestLinks(base, id string) api.Links {
	links := jobLinks(base, id, nil)
	links["job"] = links["self"]
	links["self"] = api.Link{Href: base + "/api/v3/jobs/" + id + "/request"}
	delete(links, "request")
	return links
}

func jobExecutionToDTO(j *fsm.Job, base string) api.JobExecution {
	links := jobLinks(base, j.ID, nil)
	links["job"] = links["self"]
	links["self"] = api.Link{Href: base + "/api/v3/jobs/" + j.ID + "/execution"}
	delete(links, "execution")
	d := api.JobExecution{
		ID: j.ID, Created: api.UnixMilli(j.Created), Updated: api.UnixMilli(j.Updated),
		HostName: j.NodeName, ExitCode: j.ExitCode, ArchiveStatus: api.ArchiveStatus(j.ArchiveStatus), ArchiveStatusMessage: j.ArchiveMsg,
		Memory: intPtr(j.Memory), Links: links,
	}
	if j.ProcessID != 0 {
		d.ProcessID = intPtr(j.ProcessID)
	}
	if j.Started != 0 && j.Timeout > 0 {
		d.Timeout = api.UnixMilli(j.Started + int64(j.Timeout)*1000)
	}
	return d
}

func jobMetadataToDTO(j *fsm.Job, base string) api.JobMetadata {
	links := jobLinks(base, j.ID, nil)
	links["job"] = links["self"]
	links["self"] = api.Link{Href: base + "/api/v3/jobs/" + j.ID + "/metadata"}
	delete(links, "metadata")
	num, size := j.Attachments, j.AttachmentBytes
	d := api.JobMetadata{
		ID: j.ID, Created: api.UnixMilli(j.Created), Updated: api.UnixMilli(j.Updated),
		ClientHost: j.ClientHost, UserAgent: j.UserAgent,
		NumAttachments: &num, TotalSizeOfAttachments: &size, Links: links,
	}
	if j.Status.Terminal() && j.ArchiveStatus == fsm.ArchiveArchived {
		out, errSize := j.StdoutSize, j.StderrSize
		d.StdOutSize, d.StdErrSize = &out, &errSize
	}
	return d
}

func intPtr(i int) *int { return &i }
