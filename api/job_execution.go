package api

import "encoding/json"

// JobExecution says where and how a job ran.
type JobExecution struct {
	ID      string `json:"id"`
	Created Time   `json:"created"`
	Updated Time   `json:"updated"`
	// HostName is the node running the job.
	HostName  string `json:"hostName"`
	ProcessID *int   `json:"processId"`
	// CheckDelay is deprecated; genie writes null.
	CheckDelay *int64 `json:"checkDelay"`
	// Timeout is when the job will be killed: its start plus its timeout.
	Timeout Time `json:"timeout"`
	// ExitCode is the process's exit code; 999 when killed, 666 when lost.
	ExitCode *int `json:"exitCode"`
	// Memory is deprecated; it mirrors Runtime.Resources.MemoryMb.
	Memory        *int          `json:"memory"`
	ArchiveStatus ArchiveStatus `json:"archiveStatus"`
	// ArchiveStatusMessage says why the archive FAILED (a genie addition).
	ArchiveStatusMessage string          `json:"archiveStatusMessage,omitempty"`
	LauncherExt          json.RawMessage `json:"launcherExt"`
	Runtime              Runtime         `json:"runtime"`
	Links                Links           `json:"_links,omitempty"`
}

// Exit codes a job is given when its process's own is unknown, as in Genie.
const (
	ExitCodeKilled = 999
	ExitCodeLost   = 666
)

// MarshalJSON writes empty optional fields as null, an unknown archive status
// as UNKNOWN and the memory mirrored in the runtime.
func (e JobExecution) MarshalJSON() ([]byte, error) {
	if !e.ArchiveStatus.Valid() {
		e.ArchiveStatus = ArchiveStatusUnknown
	}
	e.Runtime, e.Memory = e.Runtime.withMemory(e.Memory)
	return marshalObject(e)
}

// UnmarshalJSON reads an execution; null launcherExt becomes nil.
func (e *JobExecution) UnmarshalJSON(b []byte) error {
	type wire JobExecution
	if err := json.Unmarshal(b, (*wire)(e)); err != nil {
		return err
	}
	e.LauncherExt = rawOrNil(e.LauncherExt)
	if e.Memory == nil {
		e.Memory = int64PtrInt(e.Runtime.Resources.MemoryMb)
	}
	return nil
}

// JobMetadata is what the server recorded about a job's submission and
// output.
type JobMetadata struct {
	ID      string `json:"id"`
	Created Time   `json:"created"`
	Updated Time   `json:"updated"`
	// ClientHost is the first X-Forwarded-For entry, else the remote address.
	ClientHost             string `json:"clientHost"`
	UserAgent              string `json:"userAgent"`
	NumAttachments         *int   `json:"numAttachments"`
	TotalSizeOfAttachments *int64 `json:"totalSizeOfAttachments"`
	StdOutSize             *int64 `json:"stdOutSize"`
	StdErrSize             *int64 `json:"stdErrSize"`
	Links                  Links  `json:"_links,omitempty"`
}

// MarshalJSON writes empty optional fields as null.
func (m JobMetadata) MarshalJSON() ([]byte, error) { return marshalObject(m) }
