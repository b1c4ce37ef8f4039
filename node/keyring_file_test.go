package node

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testKey returns a base64 key of size bytes, all equal to b.
func testKey(b byte, size int) string {
	return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, size))
}

func TestKeyringFileRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, keyringFileName)
	var keys [][]byte
	for i, size := range []int{32, 16, 24} {
		k, err := decodeGossipKey(testKey(byte(i+1), size))
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	if err := saveKeyringFile(path, keys); err != nil {
		t.Fatal(err)
	}
	got, err := loadKeyringFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(keys) {
		t.Fatalf("%d keys back, want %d", len(got), len(keys))
	}
	for i := range keys {
		if !bytes.Equal(got[i], keys[i]) {
			t.Fatalf("key %d changed (the primary must stay first)", i)
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", fi.Mode().Perm())
	}
	// Replaced whole: one key now, and no temporary file left behind.
	if err := saveKeyringFile(path, keys[2:]); err != nil {
		t.Fatal(err)
	}
	if got, err := loadKeyringFile(path); err != nil || len(got) != 1 || !bytes.Equal(got[0], keys[2]) {
		t.Fatalf("after rewrite: %d keys, %v", len(got), err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("directory holds %d files, want the keyring alone", len(entries))
	}
}

func TestKeyringFileBadContentIsAClearError(t *testing.T) {
	secret := testKey(7, 20) // the wrong length, and must not be echoed
	for _, tc := range []struct{ name, content, want string }{
		{"not json", "not json", "not a JSON list of base64 keys"},
		{"an object", `{"keys":[]}`, "not a JSON list of base64 keys"},
		{"empty list", `[]`, "holds no keys"},
		{"not base64", `["` + testKey(1, 32) + `", "%%%"]`, "key 2: key is not base64"},
		{"wrong length", `["` + secret + `"]`, "key 1: key decodes to 20 bytes, not 16, 24 or 32"},
		{"empty key", `[""]`, "key 1: empty key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), keyringFileName)
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := loadKeyringFile(path)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("error %v, want it to name %s and say %q", err, path, tc.want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Fatalf("error quotes the key: %v", err)
			}
		})
	}
	_, err := loadKeyringFile(filepath.Join(t.TempDir(), keyringFileName))
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v, want os.ErrNotExist", err)
	}
}

func TestEncryptKeyValidation(t *testing.T) {
	for _, key := range []string{testKey(1, 16), testKey(1, 24), testKey(1, 32), " " + testKey(1, 32) + "\n"} {
		cfg := TestConfig(t, t.TempDir())
		cfg.EncryptKey = key
		if err := cfg.Validate(); err != nil {
			t.Fatalf("key of %q: %v", key, err)
		}
	}
	for _, key := range []string{testKey(1, 31), "not base64!", testKey(1, 64)} {
		cfg := TestConfig(t, t.TempDir())
		cfg.EncryptKey = key
		err := cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), "EncryptKey: ") {
			t.Fatalf("key %q: error %v does not name EncryptKey", key, err)
		}
	}
}

func FuzzDecodeGossipKey(f *testing.F) {
	for _, s := range []string{testKey(1, 16), testKey(2, 24), testKey(3, 32), testKey(4, 31), "", " ", "====",
		"%%%", testKey(5, 32)[:43], base64.RawStdEncoding.EncodeToString(make([]byte, 32)), "\x00\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		key, err := decodeGossipKey(s)
		if err != nil {
			if key != nil || err.Error() == "" {
				t.Fatalf("error %v with key %v", err, key)
			}
			return
		}
		if n := len(key); n != 16 && n != 24 && n != 32 {
			t.Fatalf("accepted a key of %d bytes", n)
		}
		// The canonical form decodes to the same key.
		again, err := decodeGossipKey(encodeGossipKey(key))
		if err != nil || !bytes.Equal(again, key) {
			t.Fatalf("round trip: %v", err)
		}
	})
}
