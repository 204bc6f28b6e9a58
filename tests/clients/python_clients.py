"""Exercise Crosswalk's /sparql with real third-party Python clients, unmodified.

Usage: python3 python_clients.py http://127.0.0.1:PORT/sparql
Prints "ok <check>" per passing check; exits non-zero on the first failure.
"""
import sys

from SPARQLWrapper import JSON, POST, TURTLE, XML, SPARQLWrapper
from rdflib import Graph, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore

endpoint = sys.argv[1]
AI_ACT = "https://w3id.org/crosswalk/id/instrument/eu-ai-act"
ARTICLES = f"""PREFIX cw: <https://w3id.org/crosswalk/ontology#>
SELECT ?a WHERE {{ ?a cw:instrument <{AI_ACT}> ; cw:provisionType "article" }}"""


def check(name, condition, detail=""):
    if not condition:
        print(f"FAILED {name} {detail}")
        sys.exit(1)
    print(f"ok {name}")


w = SPARQLWrapper(endpoint)
w.setQuery(ARTICLES)
w.setReturnFormat(JSON)
rows = w.query().convert()["results"]["bindings"]
check("sparqlwrapper-get-json", len(rows) == 113, len(rows))

w = SPARQLWrapper(endpoint)
w.setMethod(POST)
w.setQuery(ARTICLES)
w.setReturnFormat(XML)
doc = w.query().convert()
results = doc.getElementsByTagName("result")
check("sparqlwrapper-post-xml", len(results) == 113, len(results))

w = SPARQLWrapper(endpoint)
w.setQuery(f"PREFIX cw: <https://w3id.org/crosswalk/ontology#> ASK {{ <{AI_ACT}> a cw:Instrument }}")
w.setReturnFormat(JSON)
check("sparqlwrapper-ask", w.query().convert()["boolean"] is True)

w = SPARQLWrapper(endpoint)
w.setQuery(f"CONSTRUCT WHERE {{ <{AI_ACT}> ?p ?o }}")
w.setReturnFormat(TURTLE)
data = w.query().convert()
g = Graph().parse(data=data, format="turtle")
check("sparqlwrapper-construct", len(g) > 10, len(g))

store = SPARQLStore(endpoint)
g = Graph(store=store)
rows = list(g.query(ARTICLES))
check("rdflib-select", len(rows) == 113, len(rows))
check("rdflib-ask", bool(g.query(f"ASK {{ <{AI_ACT}> ?p ?o }}")))
triples = list(g.triples((URIRef(AI_ACT), None, None)))
check("rdflib-construct", len(triples) > 10, len(triples))
