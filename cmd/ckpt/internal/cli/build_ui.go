package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/ckpt-dev/ckpt/pipeline/run"
)

// buildUI shows a build's events: JSON lines with --json, progress bars
// and a summary table on a terminal, otherwise one summary line.
type buildUI struct {
	stdio *IO
	json  *json.Encoder

	mu    sync.Mutex
	prog  *mpb.Progress
	bars  map[string]*stepBar
	width int
}

type stepBar struct {
	bar  *mpb.Bar
	text string
}

func newBuildUI(stdio *IO, asJSON bool) *buildUI {
	u := &buildUI{stdio: stdio, bars: map[string]*stepBar{}}
	switch {
	case asJSON:
		u.json = json.NewEncoder(stdio.Out)
	case stdio.IsTerm:
		u.prog = mpb.New(mpb.WithOutput(stdio.Out), mpb.WithWidth(32), mpb.WithRefreshRate(150*time.Millisecond))
	}
	return u
}

// Event implements run.Sink.
func (u *buildUI) Event(e run.Event) {
	if u.json != nil {
		u.json.Encode(e)
		return
	}
	if u.prog == nil {
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	switch e.Type {
	case run.EventBuildStarted:
		for _, s := range e.Steps {
			u.width = max(u.width, len(s))
		}
	case run.EventStepStarted:
		u.addBar(e.Step)
	case run.EventStepProgress:
		if b := u.bars[e.Step]; b != nil {
			b.text = progressText(e.Done, e.Total, e.Unit)
			b.bar.SetTotal(max(e.Total, 1), false)
			b.bar.SetCurrent(e.Done)
		}
	case run.EventStepLog:
		fmt.Fprintf(u.prog, "%s: %s\n", e.Step, e.Message)
	case run.EventStepFinished:
		u.finishBar(e)
	}
}

func (u *buildUI) addBar(step string) {
	sb := &stepBar{}
	sb.bar = u.prog.New(0, mpb.BarStyle(),
		mpb.PrependDecorators(decor.Name(step, decor.WC{W: u.width + 1, C: decor.DindentRight})),
		mpb.AppendDecorators(decor.Any(func(decor.Statistics) string { return sb.text }), decor.Elapsed(decor.ET_STYLE_GO, decor.WC{W: 6})),
		mpb.BarRemoveOnComplete())
	u.bars[step] = sb
}

func (u *buildUI) finishBar(e run.Event) {
	b := u.bars[e.Step]
	if b == nil {
		return
	}
	delete(u.bars, e.Step)
	if e.Status == run.StatusOK {
		b.bar.SetTotal(-1, true)
		return
	}
	b.bar.Abort(true)
}

func progressText(done, total int64, unit string) string {
	if unit == "bytes" {
		return fmt.Sprintf("%.1f / %.1f MiB", float64(done)/(1<<20), float64(total)/(1<<20))
	}
	return strings.TrimSpace(fmt.Sprintf("%d / %d %s", done, total, unit))
}

// close finishes the display: bars, then the summary table (terminal) or
// line (otherwise). --json output ends with the build_finished event.
func (u *buildUI) close(res *run.Result) {
	if u.prog != nil {
		u.mu.Lock()
		for _, b := range u.bars {
			b.bar.Abort(true)
		}
		u.mu.Unlock()
		u.prog.Wait()
	}
	if u.json != nil || res == nil {
		return
	}
	if u.prog != nil {
		writeSummaryTable(u.stdio.Out, res)
	}
	fmt.Fprintln(u.stdio.Out, summaryLine(res))
}

func summaryLine(res *run.Result) string {
	ran, cached, failed := res.Counts()
	s := fmt.Sprintf("build %s: %d steps, %d ran, %d cached", res.Status, len(res.Steps), ran, cached)
	if failed > 0 {
		s += fmt.Sprintf(", %d failed", failed)
	}
	s += fmt.Sprintf(" in %s", res.Duration.Round(time.Millisecond))
	if res.Ledger > 0 {
		s += fmt.Sprintf(" (ledger #%d)", res.Ledger)
	}
	return s
}

func writeSummaryTable(w io.Writer, res *run.Result) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tSTATUS\tTIME\tARTIFACT")
	for _, s := range res.Steps {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Address, s.Status, s.Duration.Round(time.Millisecond), shortDigest(s.Artifact))
	}
	tw.Flush()
}
