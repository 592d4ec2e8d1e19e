package normalize

//go:generate go run ./internal/gen -in ../../../shared/datasets/unicode/confusables.txt -out confusables_table.go
