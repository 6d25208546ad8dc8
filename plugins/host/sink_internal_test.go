package host

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/plugins/sdk"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

func TestSinkKeepsTailAndPanicLine(t *testing.T) {
	s := newSink(io.Discard)
	w := s.writer()
	fmt.Fprint(w, "first\npanic: boom\n")
	for i := range 100 {
		fmt.Fprintf(w, "frame %d\n", i)
	}
	fmt.Fprint(w, "partial")
	tail := s.tail()
	if len(tail) != tailLines+2 || tail[0] != "panic: boom" || tail[1] != "..." || tail[len(tail)-1] != "frame 99" {
		t.Fatalf("tail = %q", tail)
	}
	fmt.Fprint(w, " line\r\n")
	if got := s.tail(); got[len(got)-1] != "partial line" {
		t.Errorf("a line split across writes: %q", got[len(got)-1])
	}
}

func TestSinkRoutesLinesToRunningSteps(t *testing.T) {
	var fallback strings.Builder
	s := newSink(&fallback)
	a, b := &logs{}, &logs{}
	ida, _ := s.add(a)
	idb, ended := s.add(b)
	fmt.Fprint(s.writer(), "both\n")
	s.remove(ida)
	fmt.Fprint(s.writer(), "only b\n")
	fmt.Fprintf(s.writer(), "%s%d\n", sdk.RunEndMarker, idb)
	<-ended // the marker closes b's channel and is not logged
	if strings.Join(a.lines, "|") != "both" || strings.Join(b.lines, "|") != "both|only b" || fallback.Len() != 0 {
		t.Errorf("a %q, b %q, fallback %q", a.lines, b.lines, fallback.String())
	}
	s = newSink(&fallback)
	fmt.Fprint(s.writer(), "no step\n")
	if fallback.String() != "no step\n" {
		t.Errorf("fallback = %q", fallback.String())
	}
	long := strings.Repeat("x", maxLine+10)
	fmt.Fprint(s.writer(), long)
	if got := s.tail(); len(got[len(got)-1]) != len(long) {
		t.Error("an overlong line was not flushed")
	}
}

type logs struct{ lines []string }

func (l *logs) Log(m string)                  { l.lines = append(l.lines, m) }
func (l *logs) Progress(int64, int64, string) {}
func (l *logs) Diagnostic(specv1.Diagnostic)  {}
