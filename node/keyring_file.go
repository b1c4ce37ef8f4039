package node

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/memberlist"
)

// keyringFileName is the gossip keyring in the data dir. It outlives the
// -encrypt flag: keys rotated on a live cluster must survive a restart.
const keyringFileName = "local.keyring"

// decodeGossipKey decodes a base64 gossip key of 16, 24 or 32 bytes
// (AES-128, -192 or -256, as memberlist takes). Errors never quote the key:
// it is a secret.
func decodeGossipKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("empty key")
	}
	key, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("key is not base64: %v", err)
	}
	if err := memberlist.ValidateKey(key); err != nil {
		return nil, fmt.Errorf("key decodes to %d bytes, not 16, 24 or 32 (make one with \"genie operator gossip keygen\")", len(key))
	}
	return key, nil
}

// encodeGossipKey is the canonical text of a key, as the file and the API
// show it.
func encodeGossipKey(key []byte) string {
	return base64.StdEncoding.EncodeToString(key)
}

// loadKeyringFile reads the keys in path, primary first. A missing file is
// os.ErrNotExist.
func loadKeyringFile(path string) ([][]byte, error) {
	buf, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("keyring file: %w", err)
	}
	var encoded []string
	if err := json.Unmarshal(buf, &encoded); err != nil {
		return nil, fmt.Errorf("keyring file %s: not a JSON list of base64 keys: %v", path, err)
	}
	if len(encoded) == 0 {
		return nil, fmt.Errorf("keyring file %s holds no keys: remove it to run without gossip encryption", path)
	}
	keys := make([][]byte, 0, len(encoded))
	for i, s := range encoded {
		key, err := decodeGossipKey(s)
		if err != nil {
			return nil, fmt.Errorf("keyring file %s: key %d: %v", path, i+1, err)
		}
		keys = append(keys, key)
	}
	return keys, nil
}

// saveKeyringFile writes keys, primary first, to path: readable by the
// node's user alone, and replaced whole so a crash leaves the old file or
// the new one, never half of one.
func saveKeyringFile(path string, keys [][]byte) error {
	encoded := make([]string, len(keys))
	for i, k := range keys {
		encoded[i] = encodeGossipKey(k)
	}
	buf, err := json.MarshalIndent(encoded, "", "  ")
	if err != nil {
		return fmt.Errorf("keyring file: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), keyringFileName+".tmp*")
	if err != nil {
		return fmt.Errorf("keyring file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("keyring file: %w", err)
	}
	if _, err := tmp.Write(append(buf, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("keyring file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("keyring file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("keyring file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("keyring file: %w", err)
	}
	return nil
}
