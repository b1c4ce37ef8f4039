package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"
)

// Cache keeps downloaded objects on the node, keyed by what identifies an
// object's content (bucket, key and ETag), so jobs needing the same
// dependency download it once. Concurrent requests for one entry share one
// download; entries are evicted least recently used first once the cache
// passes its size. Files leave the cache as copies: a job may change its
// staged files, and must not change what the next job gets.
type Cache struct {
	dir      string
	maxBytes int64

	mu       sync.Mutex
	entries  map[string]*cacheEntry
	total    int64
	inflight map[string]*download
}

type cacheEntry struct {
	size     int64
	lastUsed time.Time
}

type download struct {
	done chan struct{}
	err  error
}

// NewCache opens the cache in dir, taking stock of what an earlier run
// left there, bounded to maxBytes.
func NewCache(dir string, maxBytes int64) (*Cache, error) {
	if maxBytes <= 0 {
		return nil, errors.New("cache: size must be positive")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	// A cache an earlier version made is 0755 with 0644 files in it: the
	// node's alone now, its files with it.
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	c := &Cache{dir: dir, maxBytes: maxBytes, entries: map[string]*cacheEntry{}, inflight: map[string]*download{}}
	files, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	for _, f := range files {
		info, err := f.Info()
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		if filepath.Ext(f.Name()) == ".part" {
			os.Remove(filepath.Join(dir, f.Name()))
			continue
		}
		c.entries[f.Name()] = &cacheEntry{size: info.Size(), lastUsed: info.ModTime()}
		c.total += info.Size()
	}
	c.mu.Lock()
	c.evict()
	c.mu.Unlock()
	return c, nil
}

// CacheKey names the content of one object version.
func CacheKey(loc Location, etag string) string {
	sum := sha256.Sum256([]byte(loc.Bucket + "\x00" + loc.Key + "\x00" + etag))
	return hex.EncodeToString(sum[:])
}

// Fits reports whether an object of size bytes may be cached at all.
func (c *Cache) Fits(size int64) bool { return size <= c.maxBytes }

// Place puts the entry key at dst (which must not exist), downloading it
// with fill first when the cache does not hold it. hit reports whether it
// did.
func (c *Cache) Place(ctx context.Context, key, dst string, fill func(ctx context.Context, w io.Writer) error) (hit bool, err error) {
	for {
		c.mu.Lock()
		if e, ok := c.entries[key]; ok {
			e.lastUsed = time.Now()
			err := copyFile(filepath.Join(c.dir, key), dst)
			c.mu.Unlock()
			return true, err
		}
		if d, ok := c.inflight[key]; ok {
			c.mu.Unlock()
			select {
			case <-d.done:
			case <-ctx.Done():
				return false, ctx.Err()
			}
			if d.err != nil {
				return false, d.err
			}
			continue
		}
		d := &download{done: make(chan struct{})}
		c.inflight[key] = d
		c.mu.Unlock()

		size, err := c.fill(ctx, key, fill)
		c.mu.Lock()
		delete(c.inflight, key)
		if err == nil {
			c.entries[key] = &cacheEntry{size: size, lastUsed: time.Now()}
			c.total += size
			c.evictExcept(key)
			err = copyFile(filepath.Join(c.dir, key), dst)
		}
		c.mu.Unlock()
		d.err = err
		close(d.done)
		return false, err
	}
}

// fill downloads into a part file and renames it into place, so a
// crash never leaves a half entry.
func (c *Cache) fill(ctx context.Context, key string, fill func(ctx context.Context, w io.Writer) error) (int64, error) {
	part := filepath.Join(c.dir, key+".part")
	f, err := os.OpenFile(part, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return 0, err
	}
	err = fill(ctx, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	var info os.FileInfo
	if err == nil {
		info, err = os.Stat(part)
	}
	if err == nil {
		err = os.Rename(part, filepath.Join(c.dir, key))
	}
	if err != nil {
		os.Remove(part)
		return 0, err
	}
	return info.Size(), nil
}

// evict drops least recently used entries until the cache fits. c.mu
// must be held.
func (c *Cache) evict() { c.evictExcept("") }

func (c *Cache) evictExcept(keep string) {
	if c.total <= c.maxBytes {
		return
	}
	keys := make([]string, 0, len(c.entries))
	for k := range c.entries {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return c.entries[keys[i]].lastUsed.Before(c.entries[keys[j]].lastUsed) })
	for _, k := range keys {
		if c.total <= c.maxBytes {
			return
		}
		if k == keep {
			continue
		}
		if err := os.Remove(filepath.Join(c.dir, k)); err != nil && !errors.Is(err, os.ErrNotExist) {
			continue
		}
		c.total -= c.entries[k].size
		delete(c.entries, k)
	}
}

// Size is the bytes the cache holds.
func (c *Cache) Size() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.total
}

// copyFile gives dst, which must not exist, the content of src.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	return writeNew(context.Background(), dst, func(_ context.Context, w io.Writer) error {
		_, err := io.Copy(w, in)
		return err
	})
}
