package fsm

import (
	"bytes"
	"testing"
)

func token(accessor, hash, role string) ACLToken {
	return ACLToken{AccessorID: accessor, SecretHash: hash, Name: accessor, User: "u-" + accessor, Role: role, CreateTime: 1}
}

func TestACLBootstrapOnceThenResetIndex(t *testing.T) {
	tf := newTestFSM(t)
	first := tf.mustApply(ACLBootstrapRequestType, &ACLBootstrapRequest{Token: token("a1", "h1", "admin")})
	// The same bootstrap retried is answered as done.
	if again := tf.mustApply(ACLBootstrapRequestType, &ACLBootstrapRequest{Token: token("a1", "h1", "admin")}); !again.Existing {
		t.Fatalf("retried bootstrap: %+v", again)
	}
	tf.wantCode(ErrCodeACLBootstrapped, ACLBootstrapRequestType, &ACLBootstrapRequest{Token: token("a2", "h2", "admin")})
	tf.wantCode(ErrCodeACLBootstrapped, ACLBootstrapRequestType, &ACLBootstrapRequest{Token: token("a2", "h2", "admin"), ResetIndex: first.Index + 7})
	second := tf.mustApply(ACLBootstrapRequestType, &ACLBootstrapRequest{Token: token("a2", "h2", "admin"), ResetIndex: first.Index})
	if got := tf.fsm.State().ACLBootstrapIndex(); got != second.Index {
		t.Fatalf("bootstrap index %d, want %d", got, second.Index)
	}
	// The old reset index is spent.
	tf.wantCode(ErrCodeACLBootstrapped, ACLBootstrapRequestType, &ACLBootstrapRequest{Token: token("a3", "h3", "admin"), ResetIndex: first.Index})
	tf.wantCode(ErrCodeInvalid, ACLBootstrapRequestType, &ACLBootstrapRequest{Token: token("a4", "h4", "user"), ResetIndex: second.Index})
}

func TestACLTokenCreateLookupDelete(t *testing.T) {
	tf := newTestFSM(t)
	tf.mustApply(ACLTokenRequestType, &ACLTokenRequest{Op: OpCreate, Token: token("a1", "h1", "user")})
	if again := tf.mustApply(ACLTokenRequestType, &ACLTokenRequest{Op: OpCreate, Token: token("a1", "h1", "user")}); !again.Existing {
		t.Fatal("a retried create is not answered as done")
	}
	tf.wantCode(ErrCodeExists, ACLTokenRequestType, &ACLTokenRequest{Op: OpCreate, Token: token("a1", "other", "user")})
	tf.wantCode(ErrCodeExists, ACLTokenRequestType, &ACLTokenRequest{Op: OpCreate, Token: token("a2", "h1", "user")})
	tf.wantCode(ErrCodeInvalid, ACLTokenRequestType, &ACLTokenRequest{Op: OpCreate, Token: token("a3", "h3", "root")})
	tf.wantCode(ErrCodeInvalid, ACLTokenRequestType, &ACLTokenRequest{Op: OpCreate, Token: token("a4", "", "user")})

	st := tf.fsm.State()
	if tok := st.ACLTokenBySecretHash("h1"); tok == nil || tok.AccessorID != "a1" || tok.User != "u-a1" {
		t.Fatalf("by secret: %+v", tok)
	}
	if st.ACLToken("a1") == nil || len(st.ACLTokens()) != 1 {
		t.Fatal("by accessor")
	}
	tf.mustApply(ACLTokenRequestType, &ACLTokenRequest{Op: OpDelete, Token: ACLToken{AccessorID: "a1"}})
	if tf.fsm.State().ACLTokenBySecretHash("h1") != nil {
		t.Fatal("a deleted token still resolves")
	}
	tf.wantCode(ErrCodeNotFound, ACLTokenRequestType, &ACLTokenRequest{Op: OpDelete, Token: ACLToken{AccessorID: "a1"}})
}

func TestACLTokenExpiry(t *testing.T) {
	tok := ACLToken{ExpirationTime: 100}
	if tok.Expired(99) || !tok.Expired(100) || (&ACLToken{}).Expired(1<<60) {
		t.Fatal("expiry")
	}
}

func TestUserActiveLimitHoldsInTheApply(t *testing.T) {
	tf := newTestFSM(t)
	tf.mustApply(LimitsRequestType, &LimitsRequest{UserActive: 2})
	tf.mustApply(LimitsRequestType, &LimitsRequest{User: "bob", UserActive: 1})
	tf.wantCode(ErrCodeInvalid, LimitsRequestType, &LimitsRequest{UserActive: -1})

	tf.mustApply(JobSubmitRequestType, submit("j1", JobAccepted))
	tf.mustApply(JobSubmitRequestType, submit("j2", JobAccepted))
	res := tf.apply(JobSubmitRequestType, submit("j3", JobAccepted))
	if err, ok := res.(error); !ok || CodeOf(err) != ErrCodeLimit || err.Error() != "User exceeded active jobs limit (2/2)" {
		t.Fatalf("third job of alice: %v", res)
	}
	// A retry of an accepted job is still answered; an INVALID job holds
	// nothing and is recorded.
	tf.mustApply(JobSubmitRequestType, submit("j1", JobAccepted))
	tf.mustApply(JobSubmitRequestType, submit("bad", JobInvalid))

	bob := submit("b1", JobAccepted)
	bob.Job.Request.User = "bob"
	tf.mustApply(JobSubmitRequestType, bob)
	bob2 := submit("b2", JobAccepted)
	bob2.Job.Request.User = "bob"
	tf.wantCode(ErrCodeLimit, JobSubmitRequestType, bob2)

	// A finished job frees its place.
	tf.mustApply(JobTransitionRequestType, &JobTransitionRequest{ID: "j1", From: []JobStatus{JobAccepted}, To: JobKilled})
	tf.mustApply(JobSubmitRequestType, submit("j3", JobAccepted))

	// Limits survive a snapshot, and zero removes one.
	restored := &testFSM{t: t, fsm: restoreFrom(t, snapshotBytes(t, tf.fsm)), index: tf.index}
	if l := restored.fsm.State().Limits(); l.ActiveLimit("alice") != 2 || l.ActiveLimit("bob") != 1 {
		t.Fatalf("restored limits %+v", l)
	}
	// And so do the counts they are held to.
	restored.wantCode(ErrCodeLimit, JobSubmitRequestType, bob2)
	restored.mustApply(LimitsRequestType, &LimitsRequest{User: "bob", UserActive: 0})
	restored.mustApply(LimitsRequestType, &LimitsRequest{UserActive: 0})
	restored.mustApply(JobSubmitRequestType, bob2)
	restored.mustApply(JobSubmitRequestType, submit("j4", JobAccepted))
}

func TestACLSnapshotKeepsTokensNotSecrets(t *testing.T) {
	tf := newTestFSM(t)
	tf.mustApply(ACLBootstrapRequestType, &ACLBootstrapRequest{Token: token("a1", "h1", "admin")})
	tf.mustApply(ACLTokenRequestType, &ACLTokenRequest{Op: OpCreate, Token: token("a2", "h2", "readonly")})
	buf := snapshotBytes(t, tf.fsm)
	if bytes.Contains(buf, []byte("secret")) {
		t.Fatal("snapshot holds a secret field")
	}
	restored := restoreFrom(t, buf)
	st := restored.State()
	if st.ACLBootstrapIndex() != 1 || st.ACLTokenBySecretHash("h2") == nil || len(st.ACLTokens()) != 2 {
		t.Fatalf("restored ACL state: %d %d", st.ACLBootstrapIndex(), len(st.ACLTokens()))
	}
}

func TestCheckEntryRefusesWhatCannotApply(t *testing.T) {
	good, err := Encode(LimitsRequestType, &LimitsRequest{UserActive: 3})
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckEntry(good); err != nil {
		t.Fatalf("good entry: %v", err)
	}
	for name, buf := range map[string][]byte{
		"empty":        nil,
		"unknown type": {200, 0x80},
		"garbage":      {byte(JobSubmitRequestType), 0xc1, 0xff, 0x00},
	} {
		if err := CheckEntry(buf); CodeOf(err) != ErrCodeInvalid {
			t.Errorf("%s: %v", name, err)
		}
	}
}
