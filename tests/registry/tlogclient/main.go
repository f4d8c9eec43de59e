// A log client that is not distillgov's: Go's golang.org/x/mod/sumdb/tlog and sumdb/note (the
// go.sum database's own verifier code), reading a log through its C2SP tlog-tiles API alone.
//
// Usage: tlogclient URL VKEY [OLD_SIZE OLD_ROOT_BASE64]
//
// It fetches URL/checkpoint and checks its signature with VKEY (pinned, never from the server),
// reads the tree through hash tiles (each tile checked against the signed root by tlog's own
// TileHashReader), reads every entry bundle, checks each entry hashes to its leaf and proves its
// inclusion, and, given an older tree, proves the new one consistent with it. It prints one line
// "ok SIZE ROOT" or the first failure, and exits 1 on failure.
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const height = 8

func fetch(url string) ([]byte, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("GET %s: %d %s", url, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	return body, nil
}

// c2spPath turns Go's tile path (tile/8/L/N) into the C2SP one (tile/L/N, tile/entries/N).
func c2spPath(t tlog.Tile, entries bool) string {
	p := strings.Replace(t.Path(), "tile/8/", "tile/", 1)
	if entries {
		p = strings.Replace(p, fmt.Sprintf("tile/%d/", t.L), "tile/entries/", 1)
	}
	return p
}

type tiles struct{ base string }

func (r tiles) Height() int { return height }

func (r tiles) ReadTiles(ts []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(ts))
	for i, t := range ts {
		data, err := fetch(r.base + "/" + c2spPath(t, false))
		if err != nil {
			return nil, err
		}
		if len(data) != t.W*tlog.HashSize {
			return nil, fmt.Errorf("%s: %d bytes, want %d", c2spPath(t, false), len(data), t.W*tlog.HashSize)
		}
		out[i] = data
	}
	return out, nil
}

func (r tiles) SaveTiles([]tlog.Tile, [][]byte) {}

func fail(format string, args ...any) {
	fmt.Printf("FAIL "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) != 3 && len(os.Args) != 5 {
		fail("usage: tlogclient URL VKEY [OLD_SIZE OLD_ROOT]")
	}
	base, vkey := strings.TrimRight(os.Args[1], "/"), os.Args[2]
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		fail("verifier key: %v", err)
	}
	raw, err := fetch(base + "/checkpoint")
	if err != nil {
		fail("%v", err)
	}
	n, err := note.Open(raw, note.VerifierList(verifier))
	if err != nil {
		fail("checkpoint signature: %v", err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 || lines[0] != verifier.Name() {
		fail("checkpoint body: %q", n.Text)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		fail("checkpoint size: %v", err)
	}
	rootBytes, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(rootBytes) != tlog.HashSize {
		fail("checkpoint root: %q", lines[2])
	}
	var root tlog.Hash
	copy(root[:], rootBytes)
	tree := tlog.Tree{N: size, Hash: root}
	hashes := tlog.TileHashReader(tree, tiles{base})

	// Every entry: from its bundle, hashed, equal to its leaf in the checked tiles, and proved.
	for start := int64(0); start < size; start += 1 << height {
		w := size - start
		if w > 1<<height {
			w = 1 << height
		}
		t := tlog.Tile{H: height, L: 0, N: start >> height, W: int(w)}
		bundle, err := fetch(base + "/" + c2spPath(t, true))
		if err != nil {
			fail("%v", err)
		}
		r := bytes.NewReader(bundle)
		for i := start; i < start+w; i++ {
			var length uint16
			if err := binary.Read(r, binary.BigEndian, &length); err != nil {
				fail("bundle %s: entry %d: %v", c2spPath(t, true), i, err)
			}
			entry := make([]byte, length)
			if _, err := io.ReadFull(r, entry); err != nil {
				fail("bundle %s: entry %d: %v", c2spPath(t, true), i, err)
			}
			leaf := tlog.RecordHash(entry)
			stored, err := hashes.ReadHashes([]int64{tlog.StoredHashIndex(0, i)})
			if err != nil {
				fail("leaf %d: %v", i, err)
			}
			if stored[0] != leaf {
				fail("entry %d does not hash to its leaf in the tiles", i)
			}
			proof, err := tlog.ProveRecord(size, i, hashes)
			if err != nil {
				fail("inclusion proof of %d: %v", i, err)
			}
			if err := tlog.CheckRecord(proof, size, root, i, leaf); err != nil {
				fail("inclusion of %d: %v", i, err)
			}
		}
		if r.Len() != 0 {
			fail("bundle %s: %d bytes left over", c2spPath(t, true), r.Len())
		}
	}
	if len(os.Args) == 5 {
		oldSize, err := strconv.ParseInt(os.Args[3], 10, 64)
		if err != nil {
			fail("old size: %v", err)
		}
		oldBytes, err := base64.StdEncoding.DecodeString(os.Args[4])
		if err != nil || len(oldBytes) != tlog.HashSize {
			fail("old root: %q", os.Args[4])
		}
		var oldRoot tlog.Hash
		copy(oldRoot[:], oldBytes)
		proof, err := tlog.ProveTree(size, oldSize, hashes)
		if err != nil {
			fail("consistency proof: %v", err)
		}
		if err := tlog.CheckTree(proof, size, root, oldSize, oldRoot); err != nil {
			fail("consistency with the tree of %d: %v", oldSize, err)
		}
	}
	fmt.Printf("ok %d %s\n", size, base64.StdEncoding.EncodeToString(root[:]))
}
