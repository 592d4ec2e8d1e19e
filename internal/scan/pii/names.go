package pii

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// firstNames is a small gazetteer of common given names across languages
// (English, French, German, Spanish, Portuguese, Italian, Dutch, Nordic,
// Slavic, Greek, Turkish, Arabic, Hebrew, Indian, Chinese, Japanese and
// Korean romanizations). A name counts only when a capitalized surname
// follows it.
var firstNames = func() map[string]struct{} {
	m := map[string]struct{}{}
	for _, n := range strings.Fields(firstNameList) {
		m[n] = struct{}{}
	}
	return m
}()

const firstNameList = `
James John Robert Michael William David Richard Joseph Thomas Charles Christopher Daniel Matthew Anthony
Mark Donald Steven Paul Andrew Joshua Kenneth Kevin Brian George Timothy Ronald Edward Jason Jeffrey Ryan
Jacob Gary Nicholas Eric Jonathan Stephen Larry Justin Scott Brandon Benjamin Samuel Gregory Alexander
Frank Patrick Raymond Jack Dennis Jerry Tyler Aaron Jose Adam Nathan Henry Douglas Zachary Peter Kyle
Noah Ethan Jeremy Walter Christian Keith Roger Terry Austin Sean Gerald Carl Harold Dylan Arthur Lawrence
Jordan Jesse Bryan Billy Bruce Gabriel Joe Logan Albert Willie Alan Eugene Russell Vincent Philip Bobby
Johnny Bradley Liam Oliver Lucas Mason Elijah Leo Oscar Harry Charlie Freddie Alfie Archie Theo Max
Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Lisa Nancy Betty Sandra Margaret
Ashley Kimberly Emily Donna Michelle Carol Amanda Melissa Deborah Stephanie Dorothy Rebecca Sharon Laura
Cynthia Amy Kathleen Angela Shirley Brenda Emma Anna Pamela Nicole Samantha Katherine Christine Helen
Debra Rachel Carolyn Janet Maria Catherine Heather Diane Olivia Julie Joyce Victoria Ruth Virginia Lauren
Kelly Christina Joan Evelyn Judith Andrea Hannah Megan Cheryl Jacqueline Martha Madison Teresa Gloria
Sara Janice Ann Kathryn Abigail Sophia Frances Jean Alice Judy Isabella Julia Grace Amber Denise Danielle
Marilyn Beverly Charlotte Natalie Theresa Diana Brittany Doris Kayla Alexis Lori Marie Ava Mia Chloe Ella
Amelia Harper Lily Zoe Naomi Crystal Melanie Eva Sofia Lucy Ruby Isla Poppy Freya
Jean Pierre Michel Philippe Alain Nicolas Christophe Laurent Julien Antoine Mathieu Sébastien François
Olivier Thierry Guillaume Camille Léa Manon Chloé Inès Céline Nathalie Isabelle Sylvie Sophie Claire
Hans Jürgen Klaus Wolfgang Stefan Andreas Uwe Dieter Matthias Markus Tobias Florian Lukas Jonas Felix
Moritz Maximilian Niklas Ursula Monika Petra Sabine Katrin Anja Birgit Heike Julia Lena Lea Johanna
Juan Carlos Luis Jorge Pedro Miguel Alejandro Javier Manuel Francisco Antonio Fernando Sergio Pablo
Diego Rafael Alberto Ricardo Eduardo Andrés Álvaro Mateo Santiago Carmen Lucía Marta Elena Rosa Paula
Isabel Cristina Laura Pilar Dolores Beatriz Raquel Valentina Camila Gabriela Daniela Mariana Fernanda
João José Paulo Tiago Rui Nuno Bruno Diogo Gonçalo André Ricardo Rita Inês Beatriz Ana Joana Mariana
Giuseppe Giovanni Marco Luca Francesco Alessandro Matteo Lorenzo Andrea Stefano Roberto Paolo Giulia
Francesca Chiara Federica Alessandra Martina Silvia Elisa Valentina
Jan Pieter Willem Hendrik Johannes Cornelis Bram Daan Sem Thijs Ruben Lars Sanne Anouk Fleur Femke Lotte
Erik Anders Johan Per Nils Sven Magnus Henrik Mikael Ole Bjørn Lars Astrid Ingrid Karin Kerstin Sigrid
Maja Elin Linnea Saga Freja Åsa Jonas Mikkel Rasmus Søren Einar Olav Halldór Sigurd
Piotr Krzysztof Tomasz Paweł Marcin Michał Jakub Kamil Agnieszka Katarzyna Małgorzata Magdalena Joanna
Aleksandr Alexander Sergei Sergey Dmitri Dmitry Andrei Andrey Ivan Mikhail Nikolai Vladimir Alexei Yuri
Olga Natalia Tatiana Irina Svetlana Ekaterina Anastasia Marina Yelena Elena Oksana Faina Asya
Tomáš Jiří Petr Pavel Martin Lukáš Jakub Šárka Jana Lenka Eva Petra Marek Zoltán László István Gábor
Dimitris Giorgos Nikos Kostas Yannis Maria Eleni Katerina Sofia
Mehmet Mustafa Ahmet Ali Hüseyin Hasan İbrahim Emre Burak Elif Zeynep Ayşe Fatma
Mohammed Muhammad Ahmed Ahmad Omar Youssef Yusuf Ibrahim Hassan Hussein Khalid Karim Tariq Samir Rami
Fatima Aisha Layla Leila Mariam Maryam Noor Nour Yasmin Zainab Amira Salma Hana
Moshe David Yosef Avraham Yitzhak Noa Tamar Shira Yael Rivka
Raj Rahul Amit Arjun Vikram Sanjay Anil Sunil Ravi Priya Anjali Pooja Neha Deepa Sunita Aditi Kavya
Wei Jing Li Ming Hao Jun Yan Xin Hui Lei Fang Yu Chen Lin Mei Ling Xiao
Hiroshi Takeshi Kenji Yuki Haruto Sota Ren Yuto Akira Satoshi Hana Yui Sakura Aoi Yuna Tomomi Toshimi Keiko
Minjun Jiho Seojun Jiwoo Jimin Seoyeon Minseo Jisoo Hyun Sung Young
Kwame Kofi Chinedu Emeka Oluwaseun Ngozi Amara Abebe Tendai Thabo Sipho Zanele
`

// stopWords are capitalized words that end a name: articles, pronouns,
// weekdays, months and other words that begin sentences.
var stopWords = func() map[string]struct{} {
	m := map[string]struct{}{}
	for _, w := range strings.Fields(`the a an and or but if in on at to for of with from by as is are was were be
	i you he she it we they me my your his her our their this that these those there here what who when where why how
	i'm i'll i've i'd hi hello hey thanks thank please dear yes no not ok okay so then also just
	monday tuesday wednesday thursday friday saturday sunday january february march april may june july august
	september october november december today tomorrow yesterday
	inc ltd llc corp co company bank street st avenue ave road rd
	sir madam team all everyone customer support admin user manager world folks guys friends everybody people again`) {
		m[w] = struct{}{}
	}
	return m
}()

func stopWord(w string) bool {
	return lowerFlags(w)&wStop != 0
}

// lowerWord appends the lower-cased w to dst; with a stack buffer and a
// map index expression (m[string(b)]) nothing is allocated.
func lowerWord(dst []byte, w string) []byte {
	for i := 0; i < len(w); {
		c := w[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(w[i:])
		dst = utf8.AppendRune(dst, unicode.ToLower(r))
		i += size
	}
	return dst
}
