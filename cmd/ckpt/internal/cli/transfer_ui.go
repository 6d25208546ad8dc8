package cli

import (
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	ckptremote "github.com/ckpt-dev/ckpt/packaging/remote"
)

// transferUI shows the blobs of a push or pull on stderr: on a terminal
// one bar per blob in flight (name, bytes done/total, speed), and at the
// end a line counting moved and already-present blobs; otherwise nothing
// (the command's own summary lines stay).
type transferUI struct {
	stdio *IO
	verb  string // what a finished blob is: "sent", "pulled"
	term  bool

	mu               sync.Mutex
	prog             *mpb.Progress
	bars             map[string]*mpb.Bar
	moved, skipped   int
	movedB, skippedB int64
}

// newTransferUI shows bars when stdout is a terminal and stderr, where
// they are drawn, is one too (or is not a file: tests).
func newTransferUI(stdio *IO, verb string) *transferUI {
	term := stdio.IsTerm
	if f, ok := stdio.Err.(*os.File); ok && term {
		term = isTerminal(f)
	}
	return &transferUI{stdio: stdio, verb: verb, term: term, bars: map[string]*mpb.Bar{}}
}

// event implements ckptremote.Options.Progress; it is called from the
// transfer goroutines.
func (u *transferUI) event(e ckptremote.Event) {
	if !u.term {
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	key := e.Desc.Digest.String()
	switch e.Action {
	case "skip":
		u.skipped++
		u.skippedB += e.Desc.Size
	case "push", "pull":
		u.bar(key, e).SetCurrent(min(e.Done, e.Desc.Size))
	case "done":
		u.moved++
		u.movedB += e.Desc.Size
		u.bar(key, e).SetTotal(e.Desc.Size, true)
		delete(u.bars, key)
	}
}

// bar returns the blob's bar, adding it (and the display) on first use.
func (u *transferUI) bar(key string, e ckptremote.Event) *mpb.Bar {
	d := e.Desc
	if b := u.bars[key]; b != nil {
		return b
	}
	if u.prog == nil {
		u.prog = mpb.New(mpb.WithOutput(u.stdio.Err), mpb.WithWidth(80), mpb.WithAutoRefresh(),
			mpb.WithRefreshRate(150*time.Millisecond))
	}
	name := d.Annotations["org.opencontainers.image.title"]
	if name == "" {
		name = shortDigest(d.Digest.String())
	}
	b := u.prog.New(d.Size, mpb.BarStyle(),
		mpb.PrependDecorators(decor.Name(name, decor.WC{W: 28, C: decor.DindentRight})),
		mpb.AppendDecorators(decor.Any(bytesDone, decor.WC{W: 22}),
			decor.OnComplete(decor.AverageSpeed(decor.SizeB1024(0), " % .1f", decor.WC{W: 13}), " "+u.verb)))
	u.bars[key] = b
	return b
}

// close ends the display: unfinished bars (a failed transfer) stay where
// they stopped, then one line counts the blobs.
func (u *transferUI) close() {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.prog == nil && u.skipped == 0 {
		return
	}
	if u.prog != nil {
		for _, b := range u.bars {
			b.Abort(false)
		}
		u.prog.Wait()
		u.prog, u.bars = nil, map[string]*mpb.Bar{}
	}
	fmt.Fprintln(u.stdio.Err, u.summary())
}

// summary counts the blobs: "sent 3 blobs (1.2 GiB), 5 already there (14.0 GiB)".
func (u *transferUI) summary() string {
	s := fmt.Sprintf("%s %d blobs (%s)", u.verb, u.moved, humanBytes(u.movedB))
	switch {
	case u.skipped == 0:
		return s
	case u.moved == 0:
		s = u.verb + " nothing"
	}
	return fmt.Sprintf("%s, %d blobs already there (%s)", s, u.skipped, humanBytes(u.skippedB))
}

func bytesDone(s decor.Statistics) string {
	return humanBytes(s.Current) + " / " + humanBytes(s.Total)
}

func shortDigest(d string) string {
	if len(d) > 19 {
		return d[:19]
	}
	return d
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
