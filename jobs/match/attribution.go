package match

import (
	"regexp"
	"strings"
)

// attributionForms are the qualifiers catalogues put before an artist's
// name when the work is not (certainly) by that artist, in English,
// German, French, Dutch, Swedish and Italian. Longer forms come first so
// "copy after" is not read as "after".
var attributionForms = []string{
	// English
	"attributed to", "ascribed to", "circle of", "workshop of", "studio of", "school of", "follower of",
	"followers of", "manner of", "style of", "in the manner of", "in the style of", "copy after", "copy of",
	"after", "imitator of", "pupil of", "entourage of", "possibly by", "probably by",
	// German
	"zugeschrieben", "zugeschrieben an", "umkreis von", "umkreis des", "umkreis", "werkstatt von", "werkstatt des", "werkstatt",
	"schule von", "schule des", "schule", "nachfolger von", "nachfolger des", "nachfolger", "art des", "art von", "in der art des",
	"kopie nach", "nach",
	// French
	"attribué à", "attribue a", "entourage de", "atelier de", "atelier d'", "école de", "ecole de", "suiveur de",
	"manière de", "maniere de", "dans le goût de", "genre de", "copie d'après", "copie d’après", "copie d'apres", "d'après", "d’après", "d'apres",
	// Dutch
	"toegeschreven aan", "kring van", "omgeving van", "atelier van", "werkplaats van", "school van", "navolger van",
	"navolging van", "trant van", "kopie naar", "naar",
	// Swedish
	"tillskriven", "tillskrivet", "tillskrivna", "krets kring", "kretsen kring", "ateljé", "verkstad", "skola", "efterföljare till",
	"efterföljd av", "stil av", "i stil med", "kopia efter", "efter",
	// Italian
	"attribuito a", "attr. a", "cerchia di", "cerchia del", "bottega di", "bottega del", "scuola di", "scuola del",
	"seguace di", "seguace del", "maniera di", "alla maniera di", "copia da", "copia di",
	// abbreviations
	"attr.", "attrib.", "manner", "circle", "workshop", "school", "studio", "follower",
}

// trailingAttribution: "Rembrandt (attributed)", "Rembrandt, workshop",
// "Rembrandt (?)", "Rembrandt, tillskriven".
var trailingAttribution = regexp.MustCompile(`(?i)(?:\s*\((?:attributed|attr\.?|workshop|circle|school|follower|manner|copy after|copy|after|studio|\?|zugeschrieben|werkstatt|umkreis|schule|atelier|école|ecole|toegeschreven|kring|tillskriven|verkstad|attribuito|bottega|cerchia|scuola)\)|\s*,\s*(?:attributed|workshop|circle|school|follower|manner|studio|zugeschrieben|werkstatt|umkreis|atelier|toegeschreven|tillskriven|verkstad|bottega|cerchia|scuola)|\s+\?)$`)

var attributionRE = func() *regexp.Regexp {
	forms := make([]string, len(attributionForms))
	for i, f := range attributionForms {
		forms[i] = regexp.QuoteMeta(f)
	}
	// Longest first: the alternation takes the first that matches.
	sortByLengthDesc(forms)
	return regexp.MustCompile(`(?i)^(` + strings.Join(forms, "|") + `)(?:\s+|$)`)
}()

func sortByLengthDesc(xs []string) {
	for i := 1; i < len(xs); i++ {
		for j := i; j > 0 && len(xs[j]) > len(xs[j-1]); j-- {
			xs[j], xs[j-1] = xs[j-1], xs[j]
		}
	}
}

// Attribution splits an artist cell into the qualifier of an attribution
// and the name it qualifies: "circle of Rembrandt" → ("circle of",
// "Rembrandt"), "Rembrandt (attributed)" → ("attributed", "Rembrandt"),
// "Rembrandt" → ("", "Rembrandt"). A work so described is not a work by
// that artist: such rows are never matched without review.
func Attribution(s string) (qualifier, name string) {
	t := tidy(s)
	// "d'après X", where the apostrophe joins the words.
	if m := attributionRE.FindStringSubmatch(t); m != nil {
		rest := strings.TrimSpace(t[len(m[0]):])
		if rest == "" {
			// the word alone ("School", "Efter") is a name, not a qualifier
			return "", t
		}
		return strings.ToLower(m[1]), rest
	}
	for _, pre := range []string{"d'après", "d’après", "d'apres", "atelier d'"} {
		if len(t) > len(pre) && strings.EqualFold(t[:len(pre)], pre) {
			return pre, strings.TrimSpace(t[len(pre):])
		}
	}
	if loc := trailingAttribution.FindStringIndex(t); loc != nil && loc[0] > 0 {
		q := strings.Trim(strings.TrimSpace(t[loc[0]:]), "(), ")
		return strings.ToLower(q), strings.TrimSpace(t[:loc[0]])
	}
	return "", t
}
