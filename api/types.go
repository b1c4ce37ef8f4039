package api

import (
	"encoding/json"
	"fmt"
	"strings"
)

// JobStatus is where a job is in its life.
type JobStatus string

// Job statuses, as Genie names them. Genie's internal RESERVED, RESOLVED and
// CLAIMED are listed so searches for them parse; genie never records them.
const (
	JobStatusReserved  JobStatus = "RESERVED"
	JobStatusResolved  JobStatus = "RESOLVED"
	JobStatusAccepted  JobStatus = "ACCEPTED"
	JobStatusClaimed   JobStatus = "CLAIMED"
	JobStatusInit      JobStatus = "INIT"
	JobStatusRunning   JobStatus = "RUNNING"
	JobStatusSucceeded JobStatus = "SUCCEEDED"
	JobStatusKilled    JobStatus = "KILLED"
	JobStatusFailed    JobStatus = "FAILED"
	JobStatusInvalid   JobStatus = "INVALID"
)

var jobStatuses = []JobStatus{
	JobStatusReserved, JobStatusResolved, JobStatusAccepted, JobStatusClaimed, JobStatusInit,
	JobStatusRunning, JobStatusSucceeded, JobStatusKilled, JobStatusFailed, JobStatusInvalid,
}

// Terminal reports whether s is final: a job in it never changes status again.
func (s JobStatus) Terminal() bool {
	switch s {
	case JobStatusSucceeded, JobStatusKilled, JobStatusFailed, JobStatusInvalid:
		return true
	}
	return false
}

// Valid reports whether s is a known job status.
func (s JobStatus) Valid() bool { return known(s, jobStatuses) }

// ParseJobStatus returns the job status named by s in any case.
func ParseJobStatus(s string) (JobStatus, error) { return parseEnum("job status", s, jobStatuses) }

// MarshalJSON writes the status in upper case, or null when empty.
func (s JobStatus) MarshalJSON() ([]byte, error) { return marshalEnum(string(s)) }

// UnmarshalJSON reads a status in any case.
func (s *JobStatus) UnmarshalJSON(b []byte) error { return unmarshalEnum(b, s) }

// ClusterStatus is the life-cycle state of a cluster.
type ClusterStatus string

// Cluster statuses. Only UP clusters run new jobs.
const (
	ClusterStatusUp           ClusterStatus = "UP"
	ClusterStatusOutOfService ClusterStatus = "OUT_OF_SERVICE"
	ClusterStatusTerminated   ClusterStatus = "TERMINATED"
)

var clusterStatuses = []ClusterStatus{ClusterStatusUp, ClusterStatusOutOfService, ClusterStatusTerminated}

// Valid reports whether s is a known cluster status.
func (s ClusterStatus) Valid() bool { return known(s, clusterStatuses) }

// ParseClusterStatus returns the cluster status named by s in any case.
func ParseClusterStatus(s string) (ClusterStatus, error) {
	return parseEnum("cluster status", s, clusterStatuses)
}

// MarshalJSON writes the status in upper case, or null when empty.
func (s ClusterStatus) MarshalJSON() ([]byte, error) { return marshalEnum(string(s)) }

// UnmarshalJSON reads a status in any case.
func (s *ClusterStatus) UnmarshalJSON(b []byte) error { return unmarshalEnum(b, s) }

// CommandStatus is the life-cycle state of a command.
type CommandStatus string

// Command statuses. Only ACTIVE commands run new jobs.
const (
	CommandStatusActive     CommandStatus = "ACTIVE"
	CommandStatusDeprecated CommandStatus = "DEPRECATED"
	CommandStatusInactive   CommandStatus = "INACTIVE"
)

var commandStatuses = []CommandStatus{CommandStatusActive, CommandStatusDeprecated, CommandStatusInactive}

// Valid reports whether s is a known command status.
func (s CommandStatus) Valid() bool { return known(s, commandStatuses) }

// ParseCommandStatus returns the command status named by s in any case.
func ParseCommandStatus(s string) (CommandStatus, error) {
	return parseEnum("command status", s, commandStatuses)
}

// MarshalJSON writes the status in upper case, or null when empty.
func (s CommandStatus) MarshalJSON() ([]byte, error) { return marshalEnum(string(s)) }

// UnmarshalJSON reads a status in any case.
func (s *CommandStatus) UnmarshalJSON(b []byte) error { return unmarshalEnum(b, s) }

// ApplicationStatus is the life-cycle state of an application.
type ApplicationStatus string

// Application statuses.
const (
	ApplicationStatusActive     ApplicationStatus = "ACTIVE"
	ApplicationStatusDeprecated ApplicationStatus = "DEPRECATED"
	ApplicationStatusInactive   ApplicationStatus = "INACTIVE"
)

var applicationStatuses = []ApplicationStatus{
	ApplicationStatusActive, ApplicationStatusDeprecated, ApplicationStatusInactive,
}

// Valid reports whether s is a known application status.
func (s ApplicationStatus) Valid() bool { return known(s, applicationStatuses) }

// ParseApplicationStatus returns the application status named by s in any case.
func ParseApplicationStatus(s string) (ApplicationStatus, error) {
	return parseEnum("application status", s, applicationStatuses)
}

// MarshalJSON writes the status in upper case, or null when empty.
func (s ApplicationStatus) MarshalJSON() ([]byte, error) { return marshalEnum(string(s)) }

// UnmarshalJSON reads a status in any case.
func (s *ApplicationStatus) UnmarshalJSON(b []byte) error { return unmarshalEnum(b, s) }

// ArchiveStatus says where a job's output directory is kept.
type ArchiveStatus string

// Archive statuses.
const (
	ArchiveStatusPending  ArchiveStatus = "PENDING"
	ArchiveStatusArchived ArchiveStatus = "ARCHIVED"
	ArchiveStatusFailed   ArchiveStatus = "FAILED"
	ArchiveStatusDisabled ArchiveStatus = "DISABLED"
	ArchiveStatusNoFiles  ArchiveStatus = "NO_FILES"
	ArchiveStatusUnknown  ArchiveStatus = "UNKNOWN"
)

var archiveStatuses = []ArchiveStatus{
	ArchiveStatusPending, ArchiveStatusArchived, ArchiveStatusFailed,
	ArchiveStatusDisabled, ArchiveStatusNoFiles, ArchiveStatusUnknown,
}

// Valid reports whether s is a known archive status.
func (s ArchiveStatus) Valid() bool { return known(s, archiveStatuses) }

// ParseArchiveStatus returns the archive status named by s in any case.
func ParseArchiveStatus(s string) (ArchiveStatus, error) {
	return parseEnum("archive status", s, archiveStatuses)
}

// MarshalJSON writes the status in upper case, or null when empty.
func (s ArchiveStatus) MarshalJSON() ([]byte, error) { return marshalEnum(string(s)) }

// UnmarshalJSON reads a status in any case.
func (s *ArchiveStatus) UnmarshalJSON(b []byte) error { return unmarshalEnum(b, s) }

// NormalizeEnum returns s as Genie writes enum values: trimmed and in upper
// case. Decoding a DTO already does this; servers use it for query parameters.
func NormalizeEnum(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }

func known[E ~string](s E, all []E) bool {
	for _, v := range all {
		if s == v {
			return true
		}
	}
	return false
}

func parseEnum[E ~string](what, s string, all []E) (E, error) {
	v := E(NormalizeEnum(s))
	if !known(v, all) {
		names := make([]string, len(all))
		for i, e := range all {
			names[i] = string(e)
		}
		return "", fmt.Errorf("unknown %s %q (one of %s)", what, s, strings.Join(names, ", "))
	}
	return v, nil
}

func marshalEnum(s string) ([]byte, error) {
	if s == "" {
		return []byte("null"), nil
	}
	return json.Marshal(NormalizeEnum(s))
}

func unmarshalEnum[E ~string](b []byte, dst *E) error {
	if string(b) == "null" {
		*dst = ""
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*dst = E(NormalizeEnum(s))
	return nil
}
