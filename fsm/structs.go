package fsm

import (
	"fmt"
	"sort"
	"strings"
)

// ClusterStatus is the life-cycle state of a cluster.
type ClusterStatus string

const (
	ClusterUp           ClusterStatus = "UP"
	ClusterOutOfService ClusterStatus = "OUT_OF_SERVICE"
	ClusterTerminated   ClusterStatus = "TERMINATED"
)

// ResourceStatus is the life-cycle state of a command or an application.
type ResourceStatus string

const (
	StatusActive     ResourceStatus = "ACTIVE"
	StatusDeprecated ResourceStatus = "DEPRECATED"
	StatusInactive   ResourceStatus = "INACTIVE"
)

// JobStatus is where a job is in its life.
type JobStatus string

const (
	JobAccepted  JobStatus = "ACCEPTED"
	JobInit      JobStatus = "INIT"
	JobRunning   JobStatus = "RUNNING"
	JobSucceeded JobStatus = "SUCCEEDED"
	JobFailed    JobStatus = "FAILED"
	JobKilled    JobStatus = "KILLED"
	JobInvalid   JobStatus = "INVALID"
)

// AllJobStatuses lists every job status in life-cycle order.
var AllJobStatuses = []JobStatus{JobAccepted, JobInit, JobRunning, JobSucceeded, JobFailed, JobKilled, JobInvalid}

// ActiveJobStatuses are the statuses of jobs that hold a slot on their node.
var ActiveJobStatuses = []JobStatus{JobAccepted, JobInit, JobRunning}

// Terminal reports whether s is final: a job in it never changes status again.
func (s JobStatus) Terminal() bool {
	switch s {
	case JobSucceeded, JobFailed, JobKilled, JobInvalid:
		return true
	}
	return false
}

// ArchiveStatus says where a finished job's directory is.
type ArchiveStatus string

const (
	ArchivePending  ArchiveStatus = "PENDING"
	ArchiveArchived ArchiveStatus = "ARCHIVED"
	ArchiveFailed   ArchiveStatus = "FAILED"
	ArchiveDisabled ArchiveStatus = "DISABLED"
	ArchiveNoFiles  ArchiveStatus = "NO_FILES"
	ArchiveUnknown  ArchiveStatus = "UNKNOWN"
)

// Implicit tag prefixes: every resource answers to genie.id:<id> and
// genie.name:<name> without storing them.
const (
	TagPrefixID   = "genie.id:"
	TagPrefixName = "genie.name:"
)

// Resource holds what clusters, commands and applications share.
type Resource struct {
	ID           string
	Name         string
	User         string
	Version      string
	Description  string
	Metadata     []byte // raw JSON, nil when absent
	Tags         []string
	Configs      []string
	Dependencies []string
	SetupFile    string
	Created      int64 // unix milliseconds
	Updated      int64 // unix milliseconds

	// ModifyIndex is the raft index of the last change; updates may make it
	// a precondition so read-modify-write cycles never lose a concurrent change.
	ModifyIndex uint64
	// WriteToken names the write that made this version, so a retry of a
	// write that was committed while its answer was lost is recognised.
	WriteToken string
}

// HasTags reports whether the resource carries every tag in tags, counting
// the implicit genie.id: and genie.name: tags.
func (r *Resource) HasTags(tags []string) bool {
	for _, t := range tags {
		if !r.hasTag(t) {
			return false
		}
	}
	return true
}

func (r *Resource) hasTag(t string) bool {
	if v, ok := strings.CutPrefix(t, TagPrefixID); ok {
		return v == r.ID
	}
	if v, ok := strings.CutPrefix(t, TagPrefixName); ok {
		return v == r.Name
	}
	for _, have := range r.Tags {
		if have == t {
			return true
		}
	}
	return false
}

// AllTags returns the stored tags plus the implicit ones, sorted.
func (r *Resource) AllTags() []string {
	out := make([]string, 0, len(r.Tags)+2)
	out = append(out, TagPrefixID+r.ID, TagPrefixName+r.Name)
	out = append(out, r.Tags...)
	sort.Strings(out)
	return out
}

// Cluster is an execution target jobs run against.
type Cluster struct {
	Resource
	Status ClusterStatus
}

// Command is what a job runs.
type Command struct {
	Resource
	Status ResourceStatus
	// Executable is the program and its default arguments.
	Executable []string
	// Memory is the default memory in MB for jobs of this command (0: node default).
	Memory int
	// ClusterCriteria are ordered tag sets the command adds to a job's own.
	ClusterCriteria []Criterion
	// Applications are ordered application ids whose setup runs before the command.
	Applications []string
}

// Application holds binaries and setup shared by commands.
type Application struct {
	Resource
	Status ResourceStatus
	Type   string
}

// Criterion selects resources: every non-empty field must match.
type Criterion struct {
	ID      string
	Name    string
	Version string
	Status  string
	Tags    []string
}

// Empty reports whether the criterion constrains nothing.
func (c Criterion) Empty() bool {
	return c.ID == "" && c.Name == "" && c.Version == "" && c.Status == "" && len(c.Tags) == 0
}

// JobRequest is what a client asked for, after normalisation.
type JobRequest struct {
	// ID is the client-chosen id, empty when the server chose one.
	ID          string
	Name        string
	User        string
	Version     string
	Description string
	Metadata    []byte // raw JSON
	Tags        []string

	// CommandArgs is Genie 3's single string appended to the executable and
	// interpreted by the shell; CommandArguments passes each element as one
	// argument. At most one is set.
	CommandArgs      string
	CommandArguments []string

	ClusterCriterias [][]string // ordered tag sets
	CommandCriteria  []string
	Applications     []string // ordered ids overriding the command's

	Group            string
	Email            string
	Configs          []string
	Dependencies     []string
	SetupFile        string
	Timeout          int // seconds, 0: node default
	Memory           int // MB, 0: command or node default
	CPU              int
	Grouping         string
	GroupingInstance string

	DisableLogArchival bool
}

// Job is a job's replicated record: the request, where it was resolved to,
// where it runs and how it ended.
type Job struct {
	ID      string
	Request JobRequest
	// RequestHash identifies the request so a resubmission with the same
	// client id can be told apart from a conflicting one.
	RequestHash string

	Status    JobStatus
	StatusMsg string

	// Node is the id of the node that runs the job; NodeName its name.
	// Both are empty while the job waits in the queue.
	Node     string
	NodeName string
	// PinnedNode, when set, is the only node the job may run on: its
	// attachments are in that node's own storage.
	PinnedNode string

	ClusterID    string
	ClusterName  string
	CommandID    string
	CommandName  string
	Applications []string

	Memory  int // MB reserved on the node
	Timeout int // seconds

	ProcessID int
	ExitCode  *int

	Created  int64 // unix milliseconds
	Updated  int64
	Started  int64
	Finished int64

	ArchiveStatus   ArchiveStatus
	ArchiveLocation string
	// ArchiveMsg says why the archive FAILED.
	ArchiveMsg string
	// RecordArchived: the archive holds this record as genie/job.json.
	RecordArchived bool

	ClientHost string
	UserAgent  string
	// Attachments and AttachmentBytes count the files sent with the job.
	Attachments     int
	AttachmentBytes int64
	StdoutSize      int64
	StderrSize      int64

	// LastToken is the token of the last transition applied.
	LastToken string

	// CreateIndex is the raft index of the submission: unique and
	// increasing, so it orders jobs newest first.
	CreateIndex uint64
	ModifyIndex uint64
}

// Exit codes recorded when the process's own is unknown, as in Genie.
const (
	ExitCodeKilled = 999
	ExitCodeLost   = 666
)

// Status messages, worded as Genie's where Genie has one.
const (
	MsgKilledByUser   = "Job was killed by user."
	MsgTimeout        = "Job exceeded timeout."
	MsgSucceeded      = "Job finished successfully."
	MsgFailed         = "Job failed."
	MsgInit           = "Job is being set up."
	MsgRunning        = "Job is running."
	MsgTooMuchMemory  = "Job requests more memory than any node has."
	MsgSetupFailed    = "Job failed during setup."
	MsgLostOnRestart  = "Job process was lost while the node was down."
	MsgNodeRestartRun = "Node restarted before the job started."
	MsgNodeLost       = "Job failed: node lost."
)

// OutputTooLongMsg ends a job killed for writing more than limit bytes to
// file (stdout or stderr), as Genie kills one whose output exceeds its
// limit.
func OutputTooLongMsg(file string, limit int64) string {
	return fmt.Sprintf("Job killed: %s grew past the node's limit of %d bytes (-max-job-output).", file, limit)
}

// PlacedMsg is an accepted job's message: the node it was placed on, so a
// placed job is never mistaken for one that waits.
func PlacedMsg(nodeName string) string {
	return "Job accepted and placed on node " + nodeName + "."
}

// ReassignedMsg is the message of a job moved off a lost node.
func ReassignedMsg(nodeName string) string {
	return "Job accepted and placed on node " + nodeName + ", after its first node was lost."
}
