// Package refusal reports answers in which the model declines the request,
// in several languages, as a REFUSAL signal for the audit log and
// dashboards. It rewrites nothing: findings are Whole.
package refusal

import (
	ahocorasick "github.com/BobuSumisu/aho-corasick"

	"context"
	"regexp"
	"strings"

	"rampart/internal/scan"
)

func init() {
	scan.Register(scan.Spec{
		Name:    "refusal",
		Doc:     "Reports answers in which the model refuses (multilingual phrases).",
		Output:  true,
		Default: true,
		New: func(dec scan.Decoder) (scan.Scanner, error) {
			var s struct{}
			if err := dec(&s); err != nil {
				return nil, err
			}
			return Scanner{}, nil
		},
	})
}

// phrases are refusal openings per language. Apostrophes match both ' and ’.
var phrases = map[string][]string{
	"en": {
		`I(?:'m| am) (?:sorry|afraid),? (?:but )?I (?:can(?:'|no)t|cannot|won't|will not|am unable to|'m unable to|am not able to)`,
		`I (?:can(?:'|no)t|cannot|won't|will not) (?:help|assist|comply|provide|do that|fulfil|fulfill|share|support)`,
		`I(?:'m| am) (?:unable|not able) to (?:help|assist|comply|provide|fulfil|fulfill|share)`,
		`I must (?:decline|refuse)`,
		`as an AI(?: language model)?,? I (?:can(?:'|no)t|cannot|don't|do not|am not able)`,
		`(?:this|that) (?:request )?(?:goes against|violates) my (?:guidelines|policies|programming)`,
	},
	"fr": {`je (?:suis désolée?,? mais je )?ne (?:peux|suis pas en mesure d)(?: pas)? ?(?:vous )?(?:aider|répondre|fournir|faire cela)`, `désolée?,? (?:mais )?je ne peux pas`},
	"de": {`(?:es tut mir leid,? (?:aber )?)?ich kann (?:ihnen |dir )?(?:dabei |damit |hierbei )?nicht (?:helfen|behilflich sein|weiterhelfen)`, `es tut mir leid,? aber ich kann`},
	"es": {`(?:lo siento,? (?:pero )?)?no puedo (?:ayudar|ayudarte|ayudarle|asistir|proporcionar|hacer eso|cumplir)`, `lo siento,? pero no puedo`},
	"it": {`(?:mi dispiace,? (?:ma )?)?non posso (?:aiutar(?:e|ti|la)|assister(?:e|ti)|fornire|farlo)`, `mi dispiace,? ma non posso`},
	"pt": {`(?:desculpe,? (?:mas )?)?não posso (?:ajudar|auxiliar|fornecer|fazer isso)`, `sinto muito,? mas não posso`},
	"nl": {`(?:sorry,? (?:maar )?)?ik kan (?:je |u )?(?:daar |hier )?niet (?:mee )?helpen`},
	"ru": {`(?:извините|простите|к сожалению),? (?:но )?я не могу`, `я не могу (?:помочь|выполнить|предоставить)`},
	"zh": {`(?:抱歉|对不起)[，,]?\s*(?:但)?我(?:不能|无法)`, `我(?:不能|无法)(?:帮助|协助|提供|满足)`},
	"ja": {`申し訳(?:ありません|ございません)が[、,]?.{0,20}(?:できません|お答えできません)`, `(?:お手伝い|お答え|対応)(?:することは)?できません`},
	"ko": {`죄송(?:하지만|합니다만)`, `(?:도와|도움을 )?드릴 수 없습니다`},
}

// anchors are cheap lower-case substrings one of which every phrase
// contains; the regular expression runs only when one is present.
var anchors = []string{"sorry", "afraid", "can't", "can’t", "cannot", "won't", "won’t", "will not", "unable", "not able", "decline", "refuse",
	"as an ai", "goes against", "violates", "ne peux", "en mesure", "ich kann", "tut mir leid", "no puedo", "non posso", "não posso",
	"ik kan", "не могу", "不能", "无法", "申し訳", "できません", "죄송", "드릴 수 없"}

var anchorTrie = ahocorasick.NewTrieBuilder().AddStrings(anchors).Build()

// hasAnchor reports whether s contains an anchor, in one pass.
func hasAnchor(s string) bool {
	return anchorTrie.MatchFirstString(strings.ToLower(s)) != nil
}

// Scanner is the refusal scanner.
type Scanner struct{}

var re = func() *regexp.Regexp {
	var all []string
	for _, ps := range phrases {
		all = append(all, ps...)
	}
	src := strings.ReplaceAll(strings.Join(all, "|"), "'", `['’]`)
	return regexp.MustCompile(`(?i)(?:` + src + `)`)
}()

// Name implements scan.Scanner.
func (Scanner) Name() string { return "refusal" }

// Holdback implements guard.Holdbacker.
func (Scanner) Holdback() int { return 96 }

// Scan implements scan.Scanner. It reports at most one finding per
// segment, spanning the first refusal phrase.
func (Scanner) Scan(ctx context.Context, t *scan.Text) ([]scan.Finding, error) {
	var fs []scan.Finding
	for i, seg := range t.Segments {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if !hasAnchor(seg.Text) {
			continue
		}
		if m := re.FindStringIndex(seg.Text); m != nil {
			fs = append(fs, scan.Finding{Type: scan.Refusal, Rule: "phrase", Score: 0.9, Whole: true,
				Span: scan.Span{Segment: i, Start: m[0], End: m[1]}})
		}
	}
	return fs, nil
}
