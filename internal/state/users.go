package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// A store records the projects that build into it, so that gc run for one
// of them keeps what the others' ledgers use. Each project has one file in
// the store's users folder, named by its ID and written atomically:
//
//	STORE/users/<id>.json   {"state":"/abs/path/to/project/.ckpt"}
//
// state is the project's state folder (its ledger is state/ledger.jsonl).
// A record whose state folder is gone counts for nothing.

// user is a record in a store's users folder.
type user struct {
	State string `json:"state"`
}

func usersDir(store string) string { return filepath.Join(store, "users") }

// Use records d among the users of the store at store. It writes only
// when the record is missing or differs.
func (d Dir) Use(store string) error {
	b, err := json.Marshal(user{State: d.abs()})
	if err != nil {
		return fmt.Errorf("store %s: users: %w", store, err)
	}
	b = append(b, '\n')
	p := filepath.Join(usersDir(store), d.ID()+".json")
	if old, err := os.ReadFile(p); err == nil && bytes.Equal(old, b) {
		return nil
	}
	if err := WriteFile(p, b, 0o644); err != nil {
		return fmt.Errorf("store %s: users: %w", store, err)
	}
	return nil
}

// Users returns the state folders recorded as users of the store at store,
// sorted by path; a store without records has none. A record that does not
// decode is an error naming its file.
func Users(store string) ([]Dir, error) {
	ents, err := os.ReadDir(usersDir(store))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store %s: users: %w", store, err)
	}
	var out []Dir
	for _, e := range ents {
		if !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), ".json") || strings.HasPrefix(e.Name(), ".") {
			continue // temporary files of a writer
		}
		p := filepath.Join(usersDir(store), e.Name())
		var u user
		b, err := os.ReadFile(p)
		if err == nil {
			err = json.Unmarshal(b, &u)
		}
		if err == nil && !filepath.IsAbs(u.State) {
			err = fmt.Errorf("state %q is not an absolute path", u.State)
		}
		if err != nil {
			return nil, fmt.Errorf("store user %s: %w", p, err)
		}
		out = append(out, Open(u.State))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].root < out[j].root })
	return out, nil
}
