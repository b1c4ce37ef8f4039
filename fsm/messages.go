package fsm

import (
	"fmt"

	"github.com/hashicorp/go-msgpack/v2/codec"
)

// MessageType is the first byte of every log entry; it names the payload.
type MessageType uint8

const (
	ClusterRequestType MessageType = iota + 1
	CommandRequestType
	ApplicationRequestType
	JobSubmitRequestType
	JobTransitionRequestType
	JobArchiveRequestType
	JobReassignRequestType
	ACLTokenRequestType
	ACLBootstrapRequestType
	LimitsRequestType
	NodeUpsertRequestType
	NodeDeleteRequestType
	JobAssignRequestType
	JobRetireRequestType
)

func (t MessageType) String() string {
	switch t {
	case ClusterRequestType:
		return "cluster"
	case CommandRequestType:
		return "command"
	case ApplicationRequestType:
		return "application"
	case JobSubmitRequestType:
		return "job-submit"
	case JobTransitionRequestType:
		return "job-transition"
	case JobArchiveRequestType:
		return "job-archive"
	case JobReassignRequestType:
		return "job-reassign"
	case ACLTokenRequestType:
		return "acl-token"
	case ACLBootstrapRequestType:
		return "acl-bootstrap"
	case LimitsRequestType:
		return "limits"
	case NodeUpsertRequestType:
		return "node-upsert"
	case NodeDeleteRequestType:
		return "node-delete"
	case JobAssignRequestType:
		return "job-assign"
	case JobRetireRequestType:
		return "job-retire"
	}
	return fmt.Sprintf("unknown(%d)", uint8(t))
}

// RegistryOp is what a registry request does to its resource.
type RegistryOp uint8

const (
	// OpCreate fails with ErrCodeExists when the id is taken.
	OpCreate RegistryOp = iota + 1
	// OpUpdate replaces the resource; it fails with ErrCodeNotFound when it
	// is missing and ErrCodeModified when ExpectIndex is set and stale.
	OpUpdate
	// OpDelete removes the resource; it fails when the resource is in use.
	OpDelete
	// OpDeleteAll removes every resource of the kind, or none when any is
	// in use. The request's resource carries only its WriteToken.
	OpDeleteAll
)

// ClusterRequest creates, updates or deletes a cluster.
type ClusterRequest struct {
	Op          RegistryOp
	Cluster     Cluster
	ExpectIndex uint64
}

// CommandRequest creates, updates or deletes a command.
type CommandRequest struct {
	Op          RegistryOp
	Command     Command
	ExpectIndex uint64
}

// ApplicationRequest creates, updates or deletes an application.
type ApplicationRequest struct {
	Op          RegistryOp
	Application Application
	ExpectIndex uint64
}

// JobSubmitRequest records a new job. When a job with the same id exists,
// the request is idempotent if RequestHash matches and a conflict if not.
type JobSubmitRequest struct {
	Job Job
	// Place has the state machine decide where an ACCEPTED job goes: on
	// Job.Node if it has room in the state the entry applies to, else on
	// the least loaded node with room, else in the queue. Entries written
	// before the scheduler existed lack it and keep the node they name.
	Place bool
	// MaxQueued bounds the queue: a job that would wait behind that many
	// is refused (ErrCodeQueueFull). Zero is no bound.
	MaxQueued int
}

// JobTransitionRequest moves a job from one of From to To. It fails with
// ErrCodeStatus when the job's status is not in From, so every transition
// is a compare-and-set; a terminal status is never left.
type JobTransitionRequest struct {
	ID        string
	From      []JobStatus
	To        JobStatus
	StatusMsg string
	Time      int64 // unix ms; sets Started on RUNNING, Finished on a terminal status
	// Started (unix ms) records the start of a job whose process ended
	// before its RUNNING was recorded: the end carries it.
	Started int64

	// Fields recorded when non-zero.
	ProcessID     int
	ExitCode      *int
	ArchiveStatus ArchiveStatus
	ArchiveMsg    string

	// Token names the transition, so a retry of one that was committed
	// but whose answer was lost (a dropped connection to the leader)
	// succeeds instead of failing its compare-and-set.
	Token string

	// Node, when set, must be the node the job is recorded on: a runner
	// acts only on its own jobs, and the leader ends only the jobs of the
	// node it found lost, even if the job moved since it looked.
	Node string
}

// JobReassignRequest moves a job that has not started from a lost node to
// another, or back to the queue when ToNode is empty. It fails with
// ErrCodeStatus unless the job is ACCEPTED on FromNode, so it never races a
// claim by the old node.
type JobReassignRequest struct {
	ID         string
	FromNode   string
	ToNode     string
	ToNodeName string
	StatusMsg  string
	Time       int64
}

// JobArchiveRequest records where a finished job's directory was archived.
type JobArchiveRequest struct {
	ID              string
	ArchiveStatus   ArchiveStatus
	ArchiveLocation string
	// ArchiveMsg says why a FAILED archive failed.
	ArchiveMsg string
	// RecordArchived says the job's record went into the archive with it
	// (genie/job.json), so retiring the job loses nothing.
	RecordArchived bool
	StdoutSize     int64
	StderrSize     int64
	Time           int64
}

// MaxRetireBatch bounds the ids of one JobRetireRequest, so one entry
// applies in a few milliseconds and submissions never wait long behind it.
const MaxRetireBatch = 1000

// JobRetireRequest removes finished jobs from the state once their records
// are in the archive. Each id is kept as retired, with the node whose
// archive holds its record (Holders[i], "" when none does), so it stays
// taken and can be looked up. Ids of jobs that are gone or unfinished are
// passed over, so a retried entry retires nothing twice.
type JobRetireRequest struct {
	IDs     []string
	Holders []string
}

// msgpackHandle is shared: codec handles are safe for concurrent use once
// configured.
var msgpackHandle = func() *codec.MsgpackHandle {
	h := &codec.MsgpackHandle{}
	h.RawToString = true
	h.WriteExt = true
	return h
}()

// encodeBufBytes is room enough for most entries (a job submission takes
// about 1 KB), so encoding one allocates once.
const encodeBufBytes = 2048

// Encode builds a log entry: the type byte followed by the msgpack payload.
func Encode(t MessageType, msg interface{}) ([]byte, error) {
	buf := make([]byte, 1, encodeBufBytes)
	buf[0] = byte(t)
	// The payload is written straight after the type byte, in place while
	// it fits.
	payload := buf[1:1]
	if err := codec.NewEncoderBytes(&payload, msgpackHandle).Encode(msg); err != nil {
		return nil, fmt.Errorf("encode %s: %w", t, err)
	}
	if cap(payload) == encodeBufBytes-1 {
		// Not grown, so still in buf.
		return buf[:1+len(payload)], nil
	}
	return append([]byte{byte(t)}, payload...), nil
}

// Decode reads a payload written by Encode into out.
func Decode(buf []byte, out interface{}) error {
	return codec.NewDecoderBytes(buf, msgpackHandle).Decode(out)
}

// Marshal encodes v as msgpack with the handle log entries use, for
// node-to-node messages that carry state machine types.
func Marshal(v interface{}) ([]byte, error) {
	buf := make([]byte, 0, encodeBufBytes)
	if err := codec.NewEncoderBytes(&buf, msgpackHandle).Encode(v); err != nil {
		return nil, err
	}
	return buf, nil
}

// newMessage returns a value of the payload type of t.
func newMessage(t MessageType) (interface{}, bool) {
	switch t {
	case ClusterRequestType:
		return new(ClusterRequest), true
	case CommandRequestType:
		return new(CommandRequest), true
	case ApplicationRequestType:
		return new(ApplicationRequest), true
	case JobSubmitRequestType:
		return new(JobSubmitRequest), true
	case JobTransitionRequestType:
		return new(JobTransitionRequest), true
	case JobArchiveRequestType:
		return new(JobArchiveRequest), true
	case JobReassignRequestType:
		return new(JobReassignRequest), true
	case ACLTokenRequestType:
		return new(ACLTokenRequest), true
	case ACLBootstrapRequestType:
		return new(ACLBootstrapRequest), true
	case LimitsRequestType:
		return new(LimitsRequest), true
	case NodeUpsertRequestType:
		return new(NodeUpsertRequest), true
	case NodeDeleteRequestType:
		return new(NodeDeleteRequest), true
	case JobAssignRequestType:
		return new(JobAssignRequest), true
	case JobRetireRequestType:
		return new(JobRetireRequest), true
	}
	return nil, false
}

// CheckEntry reports whether buf is an entry this version can apply: a
// known type whose payload decodes. The leader checks every entry a peer
// sends before committing it, since one that cannot be applied would stop
// every replica.
func CheckEntry(buf []byte) error {
	if len(buf) == 0 {
		return Errorf(ErrCodeInvalid, "empty log entry")
	}
	t := MessageType(buf[0])
	msg, ok := newMessage(t)
	if !ok {
		return Errorf(ErrCodeInvalid, "unknown log entry type %d", buf[0])
	}
	if err := Decode(buf[1:], msg); err != nil {
		return Errorf(ErrCodeInvalid, "undecodable %s entry: %v", t, err)
	}
	return nil
}
