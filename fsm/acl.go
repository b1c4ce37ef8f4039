package fsm

import (
	"github.com/hashicorp/go-memdb"
)

// ACLToken is a token as the replicated state keeps it: the hash of its
// secret, never the secret.
type ACLToken struct {
	AccessorID string
	SecretHash string
	Name       string
	User       string
	Role       string
	// CreateTime and ExpirationTime are unix ms; no expiration is zero.
	CreateTime     int64
	ExpirationTime int64

	CreateIndex uint64
	ModifyIndex uint64
}

// Expired reports whether the token has expired at now (unix ms).
func (t *ACLToken) Expired(now int64) bool {
	return t.ExpirationTime != 0 && now >= t.ExpirationTime
}

// ACLBootstrap records that the cluster's first admin token was made, and
// at which index: a reset names that index to allow one more bootstrap.
type ACLBootstrap struct {
	ID    string // always aclBootstrapID: one row
	Index uint64
}

const aclBootstrapID = "acl"

// ACLTokenRequest creates or deletes a token.
type ACLTokenRequest struct {
	Op    RegistryOp // OpCreate or OpDelete
	Token ACLToken
}

// ACLBootstrapRequest creates the first admin token. It fails once the
// cluster is bootstrapped unless ResetIndex names the bootstrap's index,
// which the operator wrote to a node's reset file.
type ACLBootstrapRequest struct {
	Token      ACLToken
	ResetIndex uint64
}

func aclTokensTable() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableACLTokens,
		Indexes: map[string]*memdb.IndexSchema{
			indexID:     {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "AccessorID"}},
			indexSecret: {Name: indexSecret, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "SecretHash"}},
		},
	}
}

func aclBootstrapTable() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableACLBootstrap,
		Indexes: map[string]*memdb.IndexSchema{
			indexID: {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
		},
	}
}

func applyACLToken(txn *memdb.Txn, index uint64, req *ACLTokenRequest) interface{} {
	existing, err := txn.First(tableACLTokens, indexID, req.Token.AccessorID)
	if err != nil {
		return err
	}
	switch req.Op {
	case OpCreate:
		if existing != nil {
			if existing.(*ACLToken).SecretHash == req.Token.SecretHash {
				// The same create retried after its answer was lost.
				return &ApplyResult{Index: existing.(*ACLToken).ModifyIndex, Existing: true}
			}
			return Errorf(ErrCodeExists, "an ACL token with accessor id %s already exists", req.Token.AccessorID)
		}
		if err := validToken(&req.Token); err != nil {
			return err
		}
		if other, err := txn.First(tableACLTokens, indexSecret, req.Token.SecretHash); err != nil {
			return err
		} else if other != nil {
			return Errorf(ErrCodeExists, "an ACL token with that secret already exists")
		}
		t := req.Token
		t.CreateIndex, t.ModifyIndex = index, index
		if err := txn.Insert(tableACLTokens, &t); err != nil {
			return err
		}
		return &ApplyResult{Index: index}
	case OpDelete:
		if existing == nil {
			return Errorf(ErrCodeNotFound, "no ACL token with accessor id %s", req.Token.AccessorID)
		}
		if err := txn.Delete(tableACLTokens, existing); err != nil {
			return err
		}
		return &ApplyResult{Index: index}
	}
	return Errorf(ErrCodeInvalid, "unknown ACL token operation %d", req.Op)
}

func applyACLBootstrap(txn *memdb.Txn, index uint64, req *ACLBootstrapRequest) interface{} {
	raw, err := txn.First(tableACLBootstrap, indexID, aclBootstrapID)
	if err != nil {
		return err
	}
	if raw != nil {
		done := raw.(*ACLBootstrap)
		if tok, _ := txn.First(tableACLTokens, indexID, req.Token.AccessorID); tok != nil && tok.(*ACLToken).SecretHash == req.Token.SecretHash {
			// This very bootstrap, retried after its answer was lost.
			return &ApplyResult{Index: done.Index, Existing: true}
		}
		if req.ResetIndex != done.Index {
			return Errorf(ErrCodeACLBootstrapped, "ACL bootstrap already done (reset index: %d)", done.Index)
		}
	}
	if err := validToken(&req.Token); err != nil {
		return err
	}
	if req.Token.Role != "admin" {
		return Errorf(ErrCodeInvalid, "the bootstrap token must be an admin token")
	}
	t := req.Token
	t.CreateIndex, t.ModifyIndex = index, index
	if err := txn.Insert(tableACLTokens, &t); err != nil {
		return err
	}
	if err := txn.Insert(tableACLBootstrap, &ACLBootstrap{ID: aclBootstrapID, Index: index}); err != nil {
		return err
	}
	return &ApplyResult{Index: index}
}

func validToken(t *ACLToken) error {
	if t.AccessorID == "" || t.SecretHash == "" {
		return Errorf(ErrCodeInvalid, "an ACL token needs an accessor id and a secret")
	}
	switch t.Role {
	case "admin", "user", "readonly":
	default:
		return Errorf(ErrCodeInvalid, "unknown role %q", t.Role)
	}
	return nil
}

// ACLTokenBySecretHash returns the token whose secret hashes to hash.
func (s *State) ACLTokenBySecretHash(hash string) *ACLToken {
	raw, err := s.db.Txn(false).First(tableACLTokens, indexSecret, hash)
	if err != nil || raw == nil {
		return nil
	}
	return raw.(*ACLToken)
}

// ACLToken returns the token with accessor id.
func (s *State) ACLToken(accessorID string) *ACLToken {
	raw, err := s.db.Txn(false).First(tableACLTokens, indexID, accessorID)
	if err != nil || raw == nil {
		return nil
	}
	return raw.(*ACLToken)
}

// ACLTokens returns every token, by accessor id.
func (s *State) ACLTokens() []*ACLToken {
	it, err := s.db.Txn(false).Get(tableACLTokens, indexID)
	if err != nil {
		return nil
	}
	var out []*ACLToken
	for raw := it.Next(); raw != nil; raw = it.Next() {
		out = append(out, raw.(*ACLToken))
	}
	return out
}

// ACLBootstrapIndex is the index of the ACL bootstrap, zero before it.
func (s *State) ACLBootstrapIndex() uint64 {
	raw, err := s.db.Txn(false).First(tableACLBootstrap, indexID, aclBootstrapID)
	if err != nil || raw == nil {
		return 0
	}
	return raw.(*ACLBootstrap).Index
}
