package api

import "encoding/json"

// Job is a job as the server reports it: the request's common fields, its
// status and where it ran.
type Job struct {
	ID              string          `json:"id"`
	Created         Time            `json:"created"`
	Updated         Time            `json:"updated"`
	Version         string          `json:"version"`
	User            string          `json:"user"`
	Name            string          `json:"name"`
	Description     string          `json:"description"`
	Metadata        json.RawMessage `json:"metadata"`
	Tags            []string        `json:"tags"`
	SetupFile       string          `json:"setupFile"`
	Status          JobStatus       `json:"status"`
	StatusMsg       string          `json:"statusMsg"`
	Started         Time            `json:"started"`
	Finished        Time            `json:"finished"`
	ArchiveLocation string          `json:"archiveLocation"`
	ClusterName     string          `json:"clusterName"`
	CommandName     string          `json:"commandName"`
	// Runtime is finished-started, now-started while running, 0 before.
	Runtime          Duration `json:"runtime"`
	CommandArgs      string   `json:"commandArgs"`
	Grouping         string   `json:"grouping"`
	GroupingInstance string   `json:"groupingInstance"`
	Links            Links    `json:"_links,omitempty"`
}

// MarshalJSON writes empty optional fields as null and nil lists as [].
func (j Job) MarshalJSON() ([]byte, error) { return marshalObject(j) }

// UnmarshalJSON reads a job; null metadata becomes nil.
func (j *Job) UnmarshalJSON(b []byte) error {
	type wire Job
	if err := json.Unmarshal(b, (*wire)(j)); err != nil {
		return err
	}
	j.Metadata = rawOrNil(j.Metadata)
	return nil
}

// JobSearchResult is one job in a page of search results.
type JobSearchResult struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	User        string    `json:"user"`
	Status      JobStatus `json:"status"`
	Started     Time      `json:"started"`
	Finished    Time      `json:"finished"`
	ClusterName string    `json:"clusterName"`
	CommandName string    `json:"commandName"`
	Runtime     Duration  `json:"runtime"`
	// HostName is the node the job was placed on, empty while it waits in
	// the queue (a genie addition, as in the execution).
	HostName string `json:"hostName,omitempty"`
	Links    Links  `json:"_links,omitempty"`
}

// MarshalJSON writes an empty cluster or command name as null.
func (r JobSearchResult) MarshalJSON() ([]byte, error) { return marshalObject(r) }

// JobStatusResponse is the answer to GET /api/v3/jobs/{id}/status.
type JobStatusResponse struct {
	Status JobStatus `json:"status"`
}
