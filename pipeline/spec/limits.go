package spec

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Limits that no real spec meets; each keeps a hostile or broken spec from
// exhausting the stack, memory or time. specs/language.md §9 states them.
const (
	// MaxFileBytes bounds one spec file or var file.
	MaxFileBytes = 256 << 10
	// MaxSpecBytes bounds the spec files and var files together.
	MaxSpecBytes = 1 << 20
	// MaxTokens bounds the tokens (names, literals, operators, brackets)
	// of the spec files and var files together: parsing costs memory per
	// token, about 1 KiB for a number.
	MaxTokens = 100_000
	// MaxNesting bounds how deeply expressions, blocks and templates nest:
	// every open bracket, parenthesis, brace, quote, template sequence and
	// directive is a level, and so is every operator, dot and index of one
	// expression between two separators. It also bounds the nesting of a
	// value.
	MaxNesting = 100
	// MaxNumberDigits bounds the decimal exponent of a number, so that
	// printing one never writes more than a few thousand digits.
	MaxNumberDigits = 1000
	// MaxValueBytes bounds one value (a variable, a local, a function's
	// argument or result): its strings and elements, at least 16 bytes each.
	MaxValueBytes = 16 << 20
	// MaxElements bounds the elements of one value, counted at every level.
	// (Converting a tuple of n elements to a list takes time in n², so a
	// call with a tuple argument also costs n²/8 bytes of MaxEvalBytes.)
	MaxElements = 10_000
	// MaxEvalBytes bounds what evaluating the whole spec may produce: every
	// template piece, function result and for-expression element counts
	// its size, as often as it is evaluated.
	MaxEvalBytes = 256 << 20
	// MaxIterations bounds the elements for-expressions may iterate over
	// while the spec is evaluated, counted each time one runs.
	MaxIterations = 200_000
)

// limitSummary is the summary of every diagnostic of a limit.
const limitSummary = "Spec exceeds a limit"

func limitDiag(rng *hcl.Range, format string, args ...any) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: limitSummary,
		Detail: fmt.Sprintf(format, args...), Subject: rng}
}

// checkSource refuses source that HCL's recursive-descent parser must not
// see: it lexes src (the lexer does not recurse) and tracks how deeply its
// tokens nest (see MaxNesting) and how large its number literals are. It
// reports the first problem only, at the token where the limit is crossed.
// tokens counts the tokens of the files checked before, for MaxTokens.
func checkSource(src []byte, filename string, expr bool, tokens *int) *hcl.Diagnostic {
	lex := hclsyntax.LexConfig
	if expr {
		lex = hclsyntax.LexExpression
	}
	if *tokens > MaxTokens { // the files before were too many tokens already
		return limitDiag(&hcl.Range{Filename: filename, Start: hcl.InitialPos, End: hcl.InitialPos},
			"The spec files and var files before %s hold more than %d tokens (names, literals, operators, brackets) already; it is not read.", filename, MaxTokens)
	}
	toks, _ := lex(src, filename, hcl.InitialPos)
	before := *tokens
	*tokens += len(toks)
	var n nesting
	for i, tok := range toks {
		if before+i == MaxTokens {
			return limitDiag(tok.Range.Ptr(), "The spec files and var files may hold at most %d tokens (names, literals, operators, brackets) together; this one is beyond.", MaxTokens)
		}
		if tok.Type == hclsyntax.TokenNumberLit && !numberLitOK(tok.Bytes) {
			return limitDiag(tok.Range.Ptr(), "The number %s is too large or too small: numbers may have at most %d decimal digits before or after the point.",
				abbreviate(string(tok.Bytes)), MaxNumberDigits)
		}
		if n.add(tok.Type, nextIdent(toks, i)) > MaxNesting {
			return limitDiag(tok.Range.Ptr(), "Expressions, blocks and templates may nest at most %d levels deep (each bracket, parenthesis, brace, quote, template sequence and operator of one expression is a level); the source is deeper here.", MaxNesting)
		}
	}
	return nil
}

// nextIdent is the text of the identifier after toks[i], "" if none.
func nextIdent(toks hclsyntax.Tokens, i int) string {
	if i+1 < len(toks) && toks[i+1].Type == hclsyntax.TokenIdent {
		return string(toks[i+1].Bytes)
	}
	return ""
}

// nesting estimates the depth of the syntax tree at each token from above:
// a frame per open delimiter, plus the operators counted in each frame
// since its last separator.
type nesting struct {
	frames []frame
	depth  int // len(frames) + the sum of their ops
	ops    int // the ops of the top level, outside every frame
}

type frame struct {
	open      hclsyntax.TokenType
	ops       int
	directive bool // a %{if} or %{for} body, closed by %{endif}/%{endfor}
	ends      bool // a %{endif} or %{endfor} sequence
}

// opener is the token a closing token closes.
func opener(t hclsyntax.TokenType) hclsyntax.TokenType {
	switch t {
	case hclsyntax.TokenCBrace:
		return hclsyntax.TokenOBrace
	case hclsyntax.TokenCBrack:
		return hclsyntax.TokenOBrack
	case hclsyntax.TokenCParen:
		return hclsyntax.TokenOParen
	case hclsyntax.TokenCQuote:
		return hclsyntax.TokenOQuote
	}
	return hclsyntax.TokenOHeredoc
}

// add accounts for one token (next is the identifier after it) and returns
// the depth after it.
func (n *nesting) add(t hclsyntax.TokenType, next string) int {
	switch t {
	case hclsyntax.TokenOBrace, hclsyntax.TokenOBrack, hclsyntax.TokenOParen,
		hclsyntax.TokenOQuote, hclsyntax.TokenOHeredoc, hclsyntax.TokenTemplateInterp:
		n.push(frame{open: t})
	case hclsyntax.TokenTemplateControl:
		if next == "if" || next == "for" {
			n.push(frame{open: t, directive: true})
		}
		n.push(frame{open: t, ends: next == "endif" || next == "endfor"})
	case hclsyntax.TokenTemplateSeqEnd:
		if top := n.top(); top != nil && (top.open == hclsyntax.TokenTemplateInterp || top.open == hclsyntax.TokenTemplateControl) {
			ends := top.ends
			n.pop()
			if top := n.top(); ends && top != nil && top.directive {
				n.pop()
			}
		}
	case hclsyntax.TokenCBrace, hclsyntax.TokenCBrack, hclsyntax.TokenCParen,
		hclsyntax.TokenCQuote, hclsyntax.TokenCHeredoc:
		if top := n.top(); top != nil && top.open == opener(t) {
			n.pop()
			n.op() // an index or call applies to what it closes
		}
	case hclsyntax.TokenComma:
		n.reset()
	case hclsyntax.TokenEqual, hclsyntax.TokenNewline:
		if top := n.top(); top == nil || top.open == hclsyntax.TokenOBrace {
			n.reset()
		}
	case hclsyntax.TokenPlus, hclsyntax.TokenMinus, hclsyntax.TokenStar, hclsyntax.TokenSlash,
		hclsyntax.TokenPercent, hclsyntax.TokenAnd, hclsyntax.TokenOr, hclsyntax.TokenBang,
		hclsyntax.TokenEqualOp, hclsyntax.TokenNotEqual, hclsyntax.TokenLessThan,
		hclsyntax.TokenLessThanEq, hclsyntax.TokenGreaterThan, hclsyntax.TokenGreaterThanEq,
		hclsyntax.TokenQuestion, hclsyntax.TokenDot, hclsyntax.TokenEllipsis:
		n.op()
	}
	return n.depth
}

func (n *nesting) top() *frame {
	if len(n.frames) == 0 {
		return nil
	}
	return &n.frames[len(n.frames)-1]
}

func (n *nesting) push(f frame) { n.frames = append(n.frames, f); n.depth++ }

func (n *nesting) pop() {
	f := n.frames[len(n.frames)-1]
	n.frames = n.frames[:len(n.frames)-1]
	n.depth -= 1 + f.ops
}

func (n *nesting) op() {
	if top := n.top(); top != nil {
		top.ops++
	} else {
		n.ops++
	}
	n.depth++
}

func (n *nesting) reset() {
	if top := n.top(); top != nil {
		n.depth -= top.ops
		top.ops = 0
	} else {
		n.depth -= n.ops
		n.ops = 0
	}
}

// numberLitOK reports whether a number literal has at most MaxNumberDigits
// decimal digits before or after the point, counting its exponent.
func numberLitOK(lit []byte) bool {
	s := strings.ToLower(string(lit))
	mant, exp, _ := strings.Cut(s, "e")
	e := 0
	if exp != "" {
		exp = strings.TrimPrefix(exp, "+")
		if len(strings.TrimLeft(strings.TrimPrefix(exp, "-"), "0")) > 6 {
			return false
		}
		e, _ = strconv.Atoi(exp)
	}
	whole, frac, _ := strings.Cut(mant, ".")
	whole = strings.TrimLeft(whole, "0")
	return len(whole)+e <= MaxNumberDigits && len(frac)-e <= MaxNumberDigits
}

// abbreviate shortens s for a message.
func abbreviate(s string) string {
	if len(s) <= 40 {
		return s
	}
	return s[:20] + "…" + s[len(s)-10:]
}
