package fsm

import (
	"encoding/json"
	"fmt"
)

// jobRecordVersion is the format of an archived job record.
const jobRecordVersion = 1

// JobRecord is a finished job's record as the archive keeps it
// (genie/job.json): the replicated record whole, and the times it changed
// status, so the job can be answered for after it leaves the state.
type JobRecord struct {
	FormatVersion int            `json:"formatVersion"`
	Job           *Job           `json:"job"`
	StatusHistory []StatusChange `json:"statusHistory"`
}

// StatusChange is when a job entered a status.
type StatusChange struct {
	Status JobStatus `json:"status"`
	Time   int64     `json:"time"` // unix milliseconds
}

// EncodeJobRecord encodes a finished job's record for the archive.
func EncodeJobRecord(j *Job) ([]byte, error) {
	rec := JobRecord{FormatVersion: jobRecordVersion, Job: j, StatusHistory: statusHistory(j)}
	return json.MarshalIndent(rec, "", "  ")
}

// DecodeJobRecord reads a record EncodeJobRecord wrote.
func DecodeJobRecord(b []byte) (*Job, error) {
	var rec JobRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("job record: %w", err)
	}
	switch {
	case rec.FormatVersion < 1 || rec.FormatVersion > jobRecordVersion:
		return nil, fmt.Errorf("job record: unsupported format version %d", rec.FormatVersion)
	case rec.Job == nil || rec.Job.ID == "":
		return nil, fmt.Errorf("job record: no job")
	case !rec.Job.Status.Terminal():
		return nil, fmt.Errorf("job record: job %s is %s, not finished", rec.Job.ID, rec.Job.Status)
	}
	return rec.Job, nil
}

// statusHistory is what the record knows of the job's way: accepted when
// created, running when started, its end when finished.
func statusHistory(j *Job) []StatusChange {
	out := []StatusChange{{Status: JobAccepted, Time: j.Created}}
	if j.Started != 0 {
		out = append(out, StatusChange{Status: JobRunning, Time: j.Started})
	}
	if j.Status.Terminal() {
		out = append(out, StatusChange{Status: j.Status, Time: j.Finished})
	}
	return out
}
