package schema

import (
	"context"
	"testing"

	"rampart/internal/scan"
)

const personFormat = `{"type":"json_schema","json_schema":{"name":"p","strict":true,"schema":{
 "type":"object","additionalProperties":false,"required":["name","age","tags"],
 "properties":{"name":{"type":"string","minLength":1,"maxLength":10},"age":{"type":"integer","minimum":0,"maximum":150},
  "tags":{"type":"array","items":{"$ref":"#/$defs/tag"},"maxItems":3},"kind":{"enum":["a","b"]},"nick":{"type":["string","null"]}},
 "$defs":{"tag":{"type":"string","enum":["x","y"]}}}}}`

func run(t *testing.T, format, text string) []scan.Finding {
	t.Helper()
	c := &scan.Context{ResponseFormat: []byte(format)}
	fs, err := Scanner{}.Scan(context.Background(), &scan.Text{Context: c, Segments: []scan.Segment{{Path: "choices.0.message.content", Text: text}}})
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func TestSchema(t *testing.T) {
	ok := []string{
		`{"name":"Al","age":3,"tags":["x"]}`,
		`{"name":"Al","age":3.0,"tags":[],"kind":"b","nick":null}`,
	}
	bad := map[string]string{
		`{"name":"Al","age":3}`:                          "missing",
		`{"name":"Al","age":3.5,"tags":[]}`:              "integer",
		`{"name":"Al","age":-1,"tags":[]}`:               "minimum",
		`{"name":"","age":1,"tags":[]}`:                  "shorter",
		`{"name":"Al","age":1,"tags":["z"]}`:             "enum",
		`{"name":"Al","age":1,"tags":[],"extra":1}`:      "unexpected",
		`{"name":"Al","age":1,"tags":["x","x","x","x"]}`: "more than",
		`{"name":"Al","age":1,"tags":[],"kind":"c"}`:     "enum",
		`Sure! {"name":"Al"}`:                            "invalid-json",
		`{"name":"Al","age":1,"tags":[]} trailing`:       "invalid-json",
	}
	for _, s := range ok {
		if fs := run(t, personFormat, s); len(fs) != 0 {
			t.Errorf("%s: %+v", s, fs)
		}
	}
	for s, want := range bad {
		fs := run(t, personFormat, s)
		if len(fs) != 1 || !contains(fs[0].Rule, want) || !fs[0].Whole {
			t.Errorf("%s: want %q, got %+v", s, want, fs)
		}
	}
	if fs := run(t, `{"type":"json_object"}`, `[1,2]`); len(fs) != 1 || fs[0].Rule != "not-an-object" {
		t.Errorf("json_object: %+v", fs)
	}
	if fs := run(t, `{"type":"text"}`, `not json`); len(fs) != 0 {
		t.Errorf("text format: %+v", fs)
	}
	if (Scanner{}).WholeText(&scan.Context{}) || !(Scanner{}).WholeText(&scan.Context{ResponseFormat: []byte(`{"type":"json_object"}`)}) {
		t.Error("WholeText")
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
