package pii

import (
	"strings"
	"unicode/utf8"
)

// moreFirstNames extends firstNameList with further given names, written
// from general knowledge (no dataset values).
const moreFirstNames = `
Aaliyah Abel Ada Adela Adele Adrian Adriana Agata Agnes Aidan Aileen Aino Aisling Akiko Alba Albin Aleksandra
Alexandra Alexandre Alfred Alfredo Ali Alina Alison Allison Alma Alois Alva Alvin Amalia Amanda Ambrose Amir
Anders Andrzej Angelo Angelika Anita Anja Annika Ansgar Antti Antonia Antonín Arne Arnaud Aron Arvid Ásgeir
Astrid Aurelio Aurora Axel Ayaan Aylin Bartosz Basil Beatrix Bella Benedikt Bernard Bernd Bertrand Bettina
Bianca Blanca Bogdan Boris Brigitte Bronisław Bruna Caio Caleb Calvin Camille Carina Carla Carlo Carlos
Carmela Carolina Caroline Casimir Cecilia Cédric Cesar César Chantal Christa Christel Christoph
Cian Ciara Claudia Claudio Clément Colin Connor Conor Constantin Corinna Cosima Cristian Cyril Dagmar
Damian Damien Dana Daria Dario Darius Dawid Declan Delphine Demetrios Derek Desmond Dominik Dominique Dora
Doris Dorota Dragan Duncan Dustin Edith Edgar Edmund Edvard Eero Eileen Einar Ekaterina Elaine Eleanor
Elias Eliza Ella Ellen Eloise Elsa Elsie Emil Emilia Emilie Emilio Enrique Enzo Erika Ernesto Ernst Esther
Estelle Esteban Eugenia Eva Evan Ewa Fabian Fabio Fabrice Farah Fatih Federico Felipe Felicity Ferdinand
Filip Filipa Finn Fiona Flavia Florence Florian Francesca Franziska Freddie Frederik Frida Friedrich Gaël
Gavin Gemma Geneviève Georg Georgia Gerard Gerhard Gianluca Gianni Gilbert Gilles Gina Giorgio Gisela
Giulio Gonzalo Gordon Graham Gregor Greta Guadalupe Gudrun Guido Gunnar Günter Gustav Gustavo Håkan Hakan
Halina Hamza Hannes Harald Harriet Hector Héctor Hedwig Heidi Heinrich Heinz Helena Helga Helmut Henri
Henrik Herbert Hermann Hilde Horst Hubert Hugo Ibrahim Ignacio Igor Ilse Imogen Ingeborg Inger Ingo
Irene Iris Isaac Isabel Isabelle Isidor Ismael Ivana Ivo Jacek Jacques Jaime Jakob Janina Janusz Jarosław
Jasmin Jasper Javier Jeanne Jens Jérôme Jesper Jesús Jiří Joachim Joaquín Jocelyn Joel Jolanta Jon Jonah
Jordi Josef Josefine Josephine Josué Jozef Józef Judit Jules Julian Juliana Julien Juliette Jussi Justyna
Kai Kaja Kalle Kamila Karel Karin Karl Karla Karolina Kasper Katarina Katja Katharina Kati Kaya Kenneth
Kerstin Kieran Kim Kirsten Klara Klára Knut Konrad Kristian Kristin Kristina Kurt Kyra Ladislav Lara Lasse
Laszlo László Laurent Laurentiu Lea Leandro Leif Lena Leni Leon Leonardo Leonie Leopold Liesel Lilian Liliana
Linus Lionel Lisbeth Liv Livia Lorena Lorenz Lotta Louis Louise Luana Lucas Luciana Luciano Ludwig Luisa
Luise Lukas Luna Lydia Madeleine Magdalena Mads Maëlle Magnus Malte Manfred Manon Manuela Marcel Marcela
Marcelo Marco Marcus Margit Margot Marguerite Mario Marit Marius Marko Marlene Marta Martim Martina
Mateusz Mathilde Matilda Matías Mattia Maurice Mauricio Maurizio Maxime Mehdi Melina Melvin Mercedes Mette
Micha Michaela Michele Miguel Mikael Mikko Milan Milena Miloš Mira Mirela Miriam Mirko Moana Morten
Nadia Nadine Nasser Natasha Nathalie Nele Nicola Nicolás Nicole Niels Nikita Nikola Nina Noel Noémie Nora
Norbert Oda Odile Oleg Olena Olga Oliwia Orla Orlando Oskar Osvaldo Otto Pascal Pasquale Patrice Patrick
Patrizia Pauline Pekka Penelope Petter Philipp Pia Pierre Pietro Pilar Piotr Quentin Radek Radim Radosław
Rafael Rafał Raffaele Rainer Ramón Raphael Raúl Rebeca Regina Reinhard Remy Renata Renate René Riccardo
Rikke Rita Robin Rocco Rodrigo Roland Rolf Romain Roman Romy Ronja Rosa Rosalind Rudolf Rufus Ruth
Sabrina Salvatore Samira Sami Sandro Sanna Sascha Saskia Sebastian Selin Selma Serena Sergej Siegfried
Silke Simon Simona Simone Sina Siobhan Siri Solveig Sonia Sonja Stanislav Stanisław Stella Stig Susanne
Svea Sven Sylvia Szymon Tadeusz Tamara Tanja Tatjana Teodor Teresa Thea Theodor Therese Thibault Thor
Tilda Till Tim Timo Tina Tobias Tomás Tomasz Tommaso Toni Tor Torsten Tove Ulla Ulrich Ulrike Urs Valentin
Valeria Valerie Vanessa Vera Verena Veronika Viktor Viktoria Vilma Vincenzo Viola Vitor Vivian Vladimír
Walter Wanda Werner Wiebke Wiktor Wilhelm Wilma Wojciech Xavier Yannick Yasmin Yvonne Zdeněk Zofia Zoltan
Zuzana Tristan Devin Victor Nicholas Abbas Mohamed Mohammad Hamid Reza Farid
Dariusz Grzegorz Zbigniew Mirosław Leszek Włodzimierz Kazimierz Bożena Grażyna Elżbieta Krystyna Barbara
Jarmila Božena Věra Hana Ludmila Miroslav Vojtěch Ondřej Kateřina Tereza Veronika Ilona Erzsébet Katalin
Zsófia Eszter Ildikó Bence Máté Levente Dániel Ádám Péter Tamás Attila Sándor Ferenc Imre Lajos Mihály
Mihai Andrei Ion Gheorghe Vasile Elena Ioana Alexandru Florin Bogdan Cristina Raluca Dragoș Ionuț
Stoyan Georgi Dimitar Ivaylo Nikolay Petar Milica Jelena Dragana Nemanja Stefan Dušan Vuk Zoran Goran
Ahmet Emine Hatice Merve Büşra Özge Cem Can Deniz Kemal Murat Serkan Oğuz Yusuf Ömer Selim Volkan
Arash Babak Behnam Dariush Farhad Kourosh Mahmoud Mehran Nima Parisa Shirin Soraya Ziba
Anand Arun Deepak Ganesh Harish Karthik Krishna Manoj Mohan Naveen Prakash Rajesh Ramesh Rohan Sachin Suresh
Vijay Vinod Anita Divya Geeta Kiran Lakshmi Meena Nisha Radha Rekha Shreya Sneha Swati
Jian Jie Kai Lan Ping Qiang Tao Wen Xia Yang Ying Yong Zhen Zhi Hong Bo Gang
Daiki Daisuke Haruki Hayato Kaito Kazuki Kenta Koji Makoto Masato Naoki Ryo Shota Takumi Yusuke
Ayaka Emi Haruka Kaori Mai Misaki Nanami Naoko Rina Saki Sayaka Yoko Yumi
Dong Hyun Jae Jin Min Seung Soo Woo Eun Hye Ji Seo Yeon
Adebayo Chidi Chioma Femi Ifeoma Kehinde Nnamdi Obinna Tunde Yetunde Wanjiru Kamau Otieno Achieng Mandla
Lwazi Nomvula Themba Ayodele Babajide Folake
`

// ambiguousNames are given names that are also everyday words, places or
// months; they count only with a surname or a cue.
var ambiguousNames = map[string]bool{
	"will": true, "may": true, "june": true, "april": true, "august": true, "grace": true, "hope": true,
	"faith": true, "joy": true, "rose": true, "lily": true, "ruby": true, "amber": true, "crystal": true,
	"jack": true, "mark": true, "bill": true, "pat": true, "sue": true, "max": true, "art": true, "ray": true,
	"dean": true, "rich": true, "frank": true, "earl": true, "miles": true, "chase": true, "summer": true,
	"dawn": true, "eve": true, "christian": true, "jordan": true, "austin": true, "victoria": true,
	"virginia": true, "georgia": true, "florence": true, "sydney": true, "dallas": true, "paris": true,
	"mercedes": true, "major": true, "king": true, "young": true, "long": true, "china": true, "iris": true,
	"hana": true, "ren": true, "sem": true, "per": true, "ole": true, "can": true, "tim": true, "tor": true,
	"till": true, "li": true, "yu": true, "lin": true, "jan": true, "jean": true, "ann": true, "ana": true,
	"ali": true, "ion": true, "bo": true, "gang": true, "jin": true, "min": true, "lei": true, "kai": true,
	"mai": true, "ji": true, "eun": true, "soo": true, "woo": true, "hong": true, "joe": true, "noor": true,
	"sami": true, "mira": true, "nina": true, "luna": true, "stella": true, "vera": true, "bella": true,
	"dora": true, "elsa": true, "viola": true, "regina": true, "pia": true, "sina": true, "rita": true,
	"lotta": true, "mia": true, "ella": true, "eva": true, "ava": true, "kim": true, "robin": true,
	"simon": true, "milan": true, "florian": true, "lucas": true, "adrian": true, "leon": true, "victor": true,
	"nicholas": true, "cruz": true, "salvatore": true, "vincent": true, "louis": true, "henry": true,
	"julian": true, "martin": true, "lincoln": true, "carter": true, "harper": true, "madison": true,
}

// surnameList are common family names across languages.
const surnameList = `
Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson
Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis
Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall
Rivera Campbell Mitchell Carter Roberts Phillips Evans Turner Parker Collins Edwards Stewart Morris Murphy
Cook Rogers Morgan Peterson Cooper Reed Bailey Bell Gomez Kelly Howard Ward Cox Diaz Richardson Wood
Watson Brooks Bennett Gray James Reyes Cruz Hughes Price Myers Long Foster Sanders Ross Morales Powell
Sullivan Russell Ortiz Jenkins Gutierrez Perry Butler Barnes Fisher Henderson Coleman Simmons Patterson
Jordan Reynolds Hamilton Graham Kim Gonzales Alexander Ramos Wallace Griffin West Cole Hayes Chavez Gibson
Bryant Ellis Stevens Murray Ford Marshall Owens McDonald Harrison Ruiz Kennedy Wells Alvarez Woods Mendoza
Castillo Olson Webb Washington Tucker Freeman Burns Henry Vasquez Snyder Simpson Crawford Jimenez Porter
Mason Shaw Gordon Wagner Hunter Romero Hicks Dixon Hunt Palmer Robertson Black Holmes Stone Meyer Boyd
Mills Warren Fox Rose Rice Moreno Schmidt Patel Ferguson Nichols Herrera Medina Ryan Fernandez Weaver
Daniels Stephens Gardner Payne Kelley Dunn Pierce Arnold Tran Spencer Peters Hawkins Grant Hansen Castro
Hoffman Hart Elliott Cunningham Knight Bradley Müller Mueller Schneider Fischer Weber Becker Schulz Wagner
Koch Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann Lange Schmitt
Werner Krause Lehmann Köhler Herrmann König Walter Mayer Huber Kaiser Fuchs Peters Lang Scholz Möller
Weiß Jung Hahn Vogel Friedrich Keller Günther Frank Berger Winkler Roth Beck Lorenz Baumann Franke Albrecht
Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent Lefebvre Michel
Garnier Faure Rousseau Blanc Guerin Muller Henry Roussel Nicolas Perrin Morin Mathieu Clement Gauthier
Dumont Lopez Fontaine Chevalier Robin Masson Sanchez Gerard Nguyen Boyer Denis Lemaire Duval Joly
Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno Gallo Conti DeLuca Mancini
Costa Giordano Rizzo Lombardi Moretti Barbieri Fontana Santoro Mariani Rinaldi Caruso Ferrara Galli
Martini Leone Longo Gentile Martinelli Vitale Lombardo Serra Coppola DeSantis Napolitano
Silva Santos Ferreira Pereira Oliveira Costa Rodrigues Martins Jesus Sousa Fernandes Gonçalves Gomes
Lopes Marques Alves Almeida Ribeiro Pinto Carvalho Teixeira Moreira Correia Mendes Nunes Soares Vieira
DeJong Jansen DeVries VandenBerg VanDijk Bakker Janssen Visser Smit Meijer DeBoer Mulder DeGroot Bos
Vos Peters Hendriks VanLeeuwen Dekker Brouwer DeWit Dijkstra Smits DeGraaf VanderMeer
Johansson Andersson Karlsson Nilsson Eriksson Larsson Olsson Persson Svensson Gustafsson Pettersson
Jonsson Jansson Hansson Bengtsson Carlsson Jensen Nielsen Hansen Pedersen Andersen Christensen Larsen
Sørensen Rasmussen Jørgensen Petersen Madsen Kristensen Olsen Thomsen Poulsen Johansen Knudsen Mortensen
Møller Berg Haugen Hagen Johannessen Korhonen Virtanen Mäkinen Nieminen Mäkelä Hämäläinen Laine Heikkinen
Koskinen Järvinen Lehtonen Lehtinen Saarinen Salminen Heinonen Niemi Heikkilä Kinnunen Salonen Turunen
Nowak Kowalski Wiśniewski Wójcik Kowalczyk Kamiński Lewandowski Zieliński Szymański Woźniak Dąbrowski
Kozłowski Jankowski Mazur Kwiatkowski Krawczyk Piotrowski Grabowski Nowakowski Pawłowski Michalski
Novák Svoboda Novotný Dvořák Černý Procházka Kučera Veselý Horák Němec Marek Pospíšil Hájek Jelínek
Nagy Kovács Tóth Szabó Horváth Varga Kiss Molnár Németh Farkas Balogh Papp Takács Juhász Lakatos Mészáros
Popescu Ionescu Popa Pop Radu Dumitru Stan Stoica Gheorghe Matei Ciobanu Rusu Constantin Mihai
Ivanov Smirnov Kuznetsov Popov Vasiliev Petrov Sokolov Mikhailov Novikov Fedorov Morozov Volkov Alekseev
Lebedev Semenov Egorov Pavlov Kozlov Stepanov Nikolaev Orlov Andreev Makarov Nikitin Zakharov Zaitsev
Shevchenko Kovalenko Bondarenko Tkachenko Kravchenko Oliynyk Melnyk Moroz Lysenko Marchenko
Papadopoulos Papadakis Georgiou Nikolaou Konstantinou Dimitriou Ioannou Christodoulou Karagiannis
Yılmaz Kaya Demir Şahin Çelik Yıldız Yıldırım Öztürk Aydın Özdemir Arslan Doğan Kılıç Aslan Çetin
Cohen Levi Mizrahi Peretz Biton Dahan Avraham Friedman Katz Azoulay
Khan Ahmed Ali Hussain Rahman Hassan Ibrahim Mahmoud Abdullah Saleh Haddad Khalil Nasser Mansour Aziz
Sharma Singh Kumar Gupta Verma Reddy Rao Iyer Nair Mehta Shah Joshi Desai Chopra Kapoor Malhotra Bose
Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Lin Luo Gao Zheng Liang Xie Tang
Sato Suzuki Takahashi Tanaka Watanabe Ito Yamamoto Nakamura Kobayashi Kato Yoshida Yamada Sasaki Yamaguchi
Matsumoto Inoue Kimura Hayashi Shimizu Yamazaki Mori Abe Ikeda Hashimoto Ishikawa Ogawa Fujita Okada
Park Choi Jung Kang Cho Yoon Jang Lim Han Oh Seo Shin Kwon Hwang Ahn Song
Okafor Okeke Adeyemi Mensah Owusu Boateng Mwangi Kamau Otieno Ndlovu Dlamini Nkosi Khumalo Mokoena
Herzog Hoffmann
`

// surnameSuffixes end family names in many languages.
var surnameSuffixes = []string{
	"sson", "ssen", "dóttir", "dottir", "ová", "ova", "ov", "ev", "eva", "in", "ina", "enko", "escu", "eanu",
	"poulos", "opoulou", "akis", "idis", "ović", "ovic", "ević", "evic", "ić", "ski", "ska", "sky", "cki",
	"cka", "wicz", "icz", "ez", "ini", "elli", "etti", "ucci", "otti", "ino", "berg", "stein", "mann",
	"nen", "lainen", "oglu", "oğlu", "yan", "ian", "idze", "shvili", "aev", "ayev", "iev", "ieva", "uk", "yk",
	"chuk", "czak", "sen", "strom", "ström", "qvist", "kvist", "holm", "gaard", "ard", "eau", "ier", "ault",
	"eira", "inho", "ado", "ato", "oto", "ura", "awa", "ita", "ichi", "ishi",
}

var firstNamesExtra = func() map[string]struct{} {
	m := map[string]struct{}{}
	for _, n := range strings.Fields(moreFirstNames) {
		m[n] = struct{}{}
	}
	return m
}()

var surnames = func() map[string]struct{} {
	m := map[string]struct{}{}
	for _, n := range strings.Fields(surnameList) {
		m[n] = struct{}{}
	}
	return m
}()

// givenName reports whether w is a known given name.
func givenName(w string) bool { return exactNameFlags[w]&nGiven != 0 }

// familyName reports whether w is a known surname or looks like one
// (a capitalized word of at least 5 letters with a surname ending).
func familyName(w string) bool {
	if exactNameFlags[w]&nSurname != 0 {
		return true
	}
	if utf8.RuneCountInString(w) < 5 {
		return false
	}
	var buf [64]byte
	lw := lowerWord(buf[:0], w)
	sufs := surnameSuffixesByLast[lw[len(lw)-1]]
	if len(sufs) == 0 || commonWord(string(lw)) {
		return false
	}
	for _, suf := range sufs {
		if len(lw) >= len(suf)+3 && string(lw[len(lw)-len(suf):]) == suf {
			return true
		}
	}
	return false
}

// commonWord lists capitalized English words that end like surnames.
func commonWord(lw string) bool { return lowerWordFlags[lw]&wCommon != 0 }

var commonWords = setOf(`business process access address success express congress progress witness services devices sales notes rules times games stories series houses within again began cabin margin origin domain certain captain mountain fountain britain spain main plain brain train chain again  berlin latin protein vitamin admin login plugin cousin basin bulletin machine online engine routine magazine medicine discipline examine define decline wonderful ownership partnership leadership german human woman roman german  american canadian indian italian russian asian christian guardian median librarian technician physician musician politician comedian civilian veteran everyday otherwise previous various serious famous obvious delicious manager premier frontier barrier carrier soldier cashier supplier dossier tomato potato avocado tornado desperado bureau plateau chateau default standard keyboard dashboard board award forward toward backward reward bastard leopard wizard hazard lizard orchard pizza desk quick thanks university street avenue studies abilities novel again. begin moves`)

// nameWord reports whether w can be part of a name: capitalized, at
// least two letters, not a stop word or street word.
func nameWord(w string) bool {
	// ALL-CAPS words are acronyms or headings, not names.
	if len(w) < 2 || !upperStart(w) || !hasLower(w) {
		return false
	}
	f := lowerFlags(w)
	return f&(wStop|wOrg) == 0 && (len(w) > 10 || f&wStreet == 0)
}

// orgWord marks words that make a capitalized sequence an organization
// or a product rather than a person.
func orgWord(w string) bool {
	return lowerFlags(w)&wOrg != 0
}

var orgWords = setOf(`inc incorporated digital government partners consulting associates holdings international global enterprises ventures capital media health ltd llc corp group bank university college school hospital foundation institute company technologies systems solutions services labs studio studios records press club hotel airport station park river lake mountain county city state republic kingdom united north south east west new san santa saint st fort port mount google microsoft apple amazon meta cloud data public explorer pro max plus mini ultra edition version series model street avenue road lane drive boulevard center centre museum church cathedral tower bridge island beach valley`)

// wordSurnames are listed surnames that are also everyday words, colours,
// trades, places or brands; they count only next to a given name or a cue.
var wordSurnames = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`smith brown white green black gray grey long young king hill hall wood woods
	ward cole west grant hart knight page martin frank lang berg walter mills wells fisher palmer foster porter
	hunt shaw bishop price rose hunter cook baker bell ford mason stone fox rice reed clark cooper carter parker
	turner morgan jordan bailey howard brooks gordon marshall butler barnes perry powell russell ross long
	james thomas lee allen scott nelson mitchell roberts phillips evans collins edwards stewart morris murphy
	rogers peterson kelly watson bennett hughes myers sanders patterson hamilton graham wallace griffin
	wagner snyder fuchs wolf klein weiss jung hahn vogel keller roth beck berger koch kaiser braun schwarz
	lange park song han oh ma he hu gao sun li lin wu xu zhu chen wang yang young young koch ali khan shah
	nagy kiss may may martini costa gallo leone bruno serra silva santos jesus cruz ramos reyes flores
	rivera castillo moreno medina ortiz diaz gray stone grant dean berg holmes hayes webb tucker burns
	simpson crawford gardner payne arnold spencer peters hawkins dixon boyd mills warren hicks robertson
	meyer mayer huber krause winkler albrecht franke baumann lorenz simon laurent michel blanc denis
	petit robert richard thomas bernard martin moreau nicolas mathieu clement henry joly masson boyer
	lemaire duval robin garnier fontaine chevalier dumont rousseau faure leroy durand perrin morin
	virtanen niemi laine mazur marek novak stan pop popa radu matei rusu moroz mori abe ito kato
	washington jackson lincoln houston austin dallas denver madison orlando cleveland charlotte florence
	victoria chester kent york lancaster hamilton franklin clinton monroe jefferson wilson harrison
	richmond salisbury chelsea sydney perth darwin nelson wellington`) {
		m[w] = true
	}
	return m
}()

func setOf(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}
