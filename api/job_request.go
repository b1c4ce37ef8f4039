package api

import (
	"encoding/json"
	"strings"
)

// JobRequest is what a client asks to run.
//
// CommandArgs is Genie 3's single string appended to the command's
// executable (the shell interprets it); CommandArguments passes each element
// as one argument. Responses carry what the client gave: a nil
// CommandArguments is written as null. CPU and Memory mirror
// Runtime.Resources; on input the later of them and "runtime" in the
// document applies.
type JobRequest struct {
	ID                 string            `json:"id"`
	Created            Time              `json:"created"`
	Updated            Time              `json:"updated"`
	Version            string            `json:"version"`
	User               string            `json:"user"`
	Name               string            `json:"name"`
	Description        string            `json:"description"`
	Metadata           json.RawMessage   `json:"metadata"`
	Tags               []string          `json:"tags"`
	Configs            []string          `json:"configs"`
	Dependencies       []string          `json:"dependencies"`
	SetupFile          string            `json:"setupFile"`
	ClusterCriterias   []ClusterCriteria `json:"clusterCriterias"`
	CommandCriteria    []string          `json:"commandCriteria"`
	CommandArgs        string            `json:"commandArgs"`
	CommandArguments   []string          `json:"commandArguments" wire:"null"`
	Group              string            `json:"group"`
	DisableLogArchival bool              `json:"disableLogArchival"`
	Email              string            `json:"email"`
	CPU                *int              `json:"cpu"`
	Memory             *int              `json:"memory"`
	// Timeout is in seconds.
	Timeout          *int     `json:"timeout"`
	Applications     []string `json:"applications"`
	Grouping         string   `json:"grouping"`
	GroupingInstance string   `json:"groupingInstance"`
	Runtime          Runtime  `json:"runtime"`
	Links            Links    `json:"_links,omitempty"`
}

// JoinedCommandArgs returns the arguments as one string, as a Job reports
// them: CommandArguments joined by spaces when non-empty, else CommandArgs.
func (r *JobRequest) JoinedCommandArgs() string {
	if len(r.CommandArguments) > 0 {
		return strings.Join(r.CommandArguments, " ")
	}
	return r.CommandArgs
}

// MarshalJSON writes empty optional fields as null, nil lists as [] (except
// CommandArguments) and cpu and memory mirrored in the runtime.
func (r JobRequest) MarshalJSON() ([]byte, error) {
	r.Runtime, r.Memory = r.Runtime.withMemory(r.Memory)
	r.Runtime, r.CPU = r.Runtime.withCPU(r.CPU)
	return marshalObject(r)
}

// UnmarshalJSON reads a request and reconciles cpu and memory with the
// runtime in document order.
func (r *JobRequest) UnmarshalJSON(b []byte) error {
	type wire JobRequest
	if err := json.Unmarshal(b, (*wire)(r)); err != nil {
		return err
	}
	r.Metadata = rawOrNil(r.Metadata)
	// Key order matters only when both forms may be present; working it out
	// costs a second parse, so skip it otherwise.
	var order map[string]int
	if r.Memory != nil || r.CPU != nil {
		order = keyOrder(b)
	}
	if r.Memory != nil && appliesAfter(order, "memory", "runtime") {
		r.Runtime.Resources.MemoryMb = intPtr64(r.Memory)
	}
	if r.CPU != nil && appliesAfter(order, "cpu", "runtime") {
		r.Runtime.Resources.CPU = r.CPU
	}
	r.Memory = int64PtrInt(r.Runtime.Resources.MemoryMb)
	r.CPU = r.Runtime.Resources.CPU
	return nil
}
