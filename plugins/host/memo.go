package host

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ckpt-dev/ckpt/internal/state"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// RemoteMemo is a memo shared by every runner of a remote cache
// (packaging/cache.Cache): a plugin answer one runner got is reused by the
// others, so that a fresh runner with an empty state folder starts no
// plugin to describe or validate. Any lookup error is a miss.
type RemoteMemo interface {
	LookupMemo(ctx context.Context, kind, key string, plugin specv1.PluginID) ([]byte, error)
	SaveMemo(ctx context.Context, kind, key string, plugin specv1.PluginID, answer []byte) error
}

// memo is one kind of the host's memos: the state folder's, then the
// remote one (Options.RemoteMemo) for the answers that may be shared.
type memo struct {
	h     *Host
	kind  string
	local state.Memo
}

func (h *Host) memo(kind string) memo {
	return memo{h: h, kind: kind, local: state.For(h.opts.Dir).Memo(kind)}
}

// get decodes the answer under key into v and reports whether ok then
// accepts it: from the state folder, else (when shared) from the remote
// memo, whose answer it then keeps in the state folder.
func (m memo) get(ctx context.Context, key string, plugin specv1.PluginID, shared bool, v any, ok func() bool) bool {
	if m.local.Get(key, v) && ok() {
		return true
	}
	rm := m.h.opts.RemoteMemo
	if !shared || rm == nil {
		return false
	}
	b, err := rm.LookupMemo(ctx, m.kind, m.portable(key), plugin)
	if err == nil {
		b = []byte(m.localize(string(b)))
	}
	if err != nil {
		m.h.debugf("plugin %s: %s memo not in the remote cache: %v", plugin.Name, m.kind, err)
		return false
	}
	if json.Unmarshal(b, v) != nil || !ok() {
		m.h.debugf("plugin %s: %s memo in the remote cache refused", plugin.Name, m.kind)
		return false
	}
	_ = m.local.Put(key, v) // a memo not written only costs a lookup next time
	m.h.debugf("plugin %s: %s answer from the remote cache", plugin.Name, m.kind)
	return true
}

// put remembers v under key in the state folder and, when shared and the
// remote memo is writable, in the remote memo. A memo not written only
// costs a start next time.
func (m memo) put(ctx context.Context, key string, plugin specv1.PluginID, shared bool, v any) {
	_ = m.local.Put(key, v)
	rm := m.h.opts.RemoteMemo
	if !shared || rm == nil || m.h.opts.RemoteMemoReadOnly {
		return
	}
	b, err := json.Marshal(v)
	if err == nil {
		err = rm.SaveMemo(ctx, m.kind, m.portable(key), plugin, []byte(m.portable(string(b))))
	}
	if err != nil {
		m.h.debugf("plugin %s: %s memo not saved in the remote cache: %v", plugin.Name, m.kind, err)
	}
}

// debugf writes one line to Options.Debug.
func (h *Host) debugf(format string, args ...any) {
	if h.opts.Debug != nil {
		fmt.Fprintf(h.opts.Debug, "debug: "+format+"\n", args...)
	}
}

// projectToken stands for the project folder in the remote memo's keys
// and answers.
const projectToken = "@ckpt-project@"

// portable replaces the project folder in s (JSON: a request or an
// answer, whose path attributes are absolute) by projectToken, so that
// another checkout of the spec in another folder shares the memo, as it
// shares the steps' cache keys (path attributes relative to the spec).
func (m memo) portable(s string) string {
	dir := m.jsonDir()
	return strings.NewReplacer(dir+"/", projectToken+"/", dir+`"`, projectToken+`"`).Replace(s)
}

// localize is portable's inverse, for this host's project folder.
func (m memo) localize(s string) string { return strings.ReplaceAll(s, projectToken, m.jsonDir()) }

// jsonDir is the project folder as it appears in a JSON string.
func (m memo) jsonDir() string {
	b, _ := json.Marshal(m.h.opts.Dir)
	return string(b[1 : len(b)-1])
}
