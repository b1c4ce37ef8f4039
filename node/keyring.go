package node

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/hashicorp/memberlist"

	"github.com/genie-cluster/genie/api"
	"github.com/genie-cluster/genie/fsm"
	"github.com/genie-cluster/genie/transport"
)

var _ transport.Keyring = (*Node)(nil)

// gossipKeyring holds the keys gossip is encrypted with: memberlist's
// keyring, which it reads for every message, and the file that keeps them
// across restarts.
type gossipKeyring struct {
	// mu makes each change whole: file and memory, one change at a time.
	mu   sync.Mutex
	path string
	ring *memberlist.Keyring
}

// setupKeyring gives conf the node's keyring: the keyring file when there
// is one (keys rotated on the live cluster win over -encrypt), else one
// made from EncryptKey. Without either, gossip is not encrypted.
func (n *Node) setupKeyring(conf *memberlist.Config) error {
	path := filepath.Join(n.config.DataDir, keyringFileName)
	keys, err := loadKeyringFile(path)
	switch {
	case err == nil:
		if flagKey, _ := decodeGossipKey(n.config.EncryptKey); flagKey != nil && indexOfKey(keys, flagKey) < 0 {
			n.logger.Warn("-encrypt is ignored because the node has a keyring; change its keys with \"genie operator gossip keyring\"", "keyring", path)
		}
	case errors.Is(err, os.ErrNotExist):
		if n.config.EncryptKey == "" {
			return nil
		}
		key, err := decodeGossipKey(n.config.EncryptKey)
		if err != nil {
			return fmt.Errorf("EncryptKey: %w", err)
		}
		keys = [][]byte{key}
		if err := saveKeyringFile(path, keys); err != nil {
			return err
		}
	default:
		return err
	}
	ring, err := memberlist.NewKeyring(keys[1:], keys[0])
	if err != nil {
		return fmt.Errorf("keyring %s: %w", path, err)
	}
	conf.Keyring = ring
	// Refuse plaintext both ways: a node without the key must not join.
	conf.GossipVerifyIncoming = true
	conf.GossipVerifyOutgoing = true
	n.keyring = &gossipKeyring{path: path, ring: ring}
	n.logger.Info("gossip is encrypted", "keys", len(keys), "keyring", path)
	return nil
}

// GossipEncrypted reports whether this node encrypts its gossip.
func (n *Node) GossipEncrypted() bool { return n.keyring != nil }

// GossipKeys lists this node's gossip keys, base64, primary first.
func (n *Node) GossipKeys() []string {
	if n.keyring == nil {
		return nil
	}
	keys := n.keyring.keys()
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = encodeGossipKey(k)
	}
	return out
}

// InstallGossipKey adds key to the keyring: the node reads messages sent
// with it. Installing a key already there does nothing.
func (n *Node) InstallGossipKey(key string) error {
	return n.ChangeLocalKeyring(api.KeyringInstall, key)
}

// UseGossipKey makes key, which must be installed, the one the node sends
// with.
func (n *Node) UseGossipKey(key string) error {
	return n.ChangeLocalKeyring(api.KeyringUse, key)
}

// RemoveGossipKey drops key from the keyring; the primary key cannot go.
func (n *Node) RemoveGossipKey(key string) error {
	return n.ChangeLocalKeyring(api.KeyringRemove, key)
}

// LocalKeyring describes this node's keyring.
func (n *Node) LocalKeyring() api.NodeKeyring {
	keys := n.GossipKeys()
	if keys == nil {
		keys = []string{}
	}
	return api.NodeKeyring{Node: n.config.NodeName, ID: n.id, Encrypted: n.GossipEncrypted(), Keys: keys}
}

// ChangeLocalKeyring installs, uses or removes key on this node alone.
func (n *Node) ChangeLocalKeyring(op, key string) error {
	if n.keyring == nil {
		return fsm.Errorf(fsm.ErrCodeInvalid, "gossip encryption is off on this node: it was started without -encrypt")
	}
	k, err := decodeGossipKey(key)
	if err != nil {
		return fsm.Errorf(fsm.ErrCodeInvalid, "key: %v", err)
	}
	changed, err := n.keyring.change(op, k)
	if err != nil {
		return err
	}
	if changed {
		n.logger.Info("gossip keyring changed", "op", op, "keys", len(n.keyring.keys()))
	}
	return nil
}

// keys returns a copy of the keys, primary first.
func (kr *gossipKeyring) keys() [][]byte {
	kr.mu.Lock()
	defer kr.mu.Unlock()
	return kr.keysLocked()
}

func (kr *gossipKeyring) keysLocked() [][]byte {
	var out [][]byte
	for _, k := range kr.ring.GetKeys() {
		out = append(out, bytes.Clone(k))
	}
	return out
}

// change applies op to the keyring, writing the file first so that what
// memberlist uses is always what a restart would load. It reports whether
// anything changed: repeating a change is harmless, so a cluster-wide
// change that failed on some node can simply be retried.
func (kr *gossipKeyring) change(op string, key []byte) (bool, error) {
	kr.mu.Lock()
	defer kr.mu.Unlock()
	keys := kr.keysLocked()
	at := indexOfKey(keys, key)
	var next [][]byte
	var apply func([]byte) error
	switch op {
	case api.KeyringInstall:
		if at >= 0 {
			return false, nil
		}
		next, apply = append(keys, key), kr.ring.AddKey
	case api.KeyringUse:
		if at < 0 {
			return false, fsm.Errorf(fsm.ErrCodeNotFound, "the key is not installed on this node: install it first")
		}
		if at == 0 {
			return false, nil
		}
		next, apply = append([][]byte{key}, without(keys, at)...), kr.ring.UseKey
	case api.KeyringRemove:
		if at == 0 {
			return false, fsm.Errorf(fsm.ErrCodeInvalid, "the key is the primary key: use another key before removing it")
		}
		if at < 0 {
			return false, nil
		}
		next, apply = without(keys, at), kr.ring.RemoveKey
	default:
		return false, fsm.Errorf(fsm.ErrCodeInvalid, "op: %q is not install, use or remove", op)
	}
	if err := saveKeyringFile(kr.path, next); err != nil {
		return false, err
	}
	if err := apply(key); err != nil {
		return false, fmt.Errorf("keyring %s: %w", op, err)
	}
	return true, nil
}

// indexOfKey is where key is in keys, -1 when it is not.
func indexOfKey(keys [][]byte, key []byte) int {
	for i, k := range keys {
		if bytes.Equal(k, key) {
			return i
		}
	}
	return -1
}

// without returns keys less the one at i, in a new slice.
func without(keys [][]byte, i int) [][]byte {
	out := make([][]byte, 0, len(keys)-1)
	out = append(out, keys[:i]...)
	return append(out, keys[i+1:]...)
}
