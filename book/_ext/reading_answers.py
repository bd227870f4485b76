"""The ``{answer}`` directive: a reading's answer to one of its questions, collapsed.

In a reading's "Questions" section, each question is followed by its answer::

    1. Why ...?

       ```{answer}
       Because ... $h_t$ ...
       ```

The answer's content is ordinary MyST (math, code, lists). In HTML it becomes a
``<details class="seqbook-answer">`` element: closed until the reader clicks "Show the
answer", and working without JavaScript, like the labs' collapsed solutions. Other
builders print it as a plain block headed "Answer".
"""

from docutils import nodes
from docutils.parsers.rst import Directive


class reading_answer(nodes.General, nodes.Element):  # noqa: N801 (docutils style)
    """A collapsed block holding the answer to one question of a reading."""


def visit_reading_answer_html(translator, node):
    translator.body.append('<details class="seqbook-answer">\n'
                           "<summary>Show the answer</summary>\n")


def depart_reading_answer_html(translator, node):
    translator.body.append("</details>\n")


def visit_reading_answer_plain(translator, node):
    """LaTeX, text and the others: the answer as it is, after its question."""


def depart_reading_answer_plain(translator, node):
    pass


class AnswerDirective(Directive):
    has_content = True

    def run(self):
        if not self.content:
            raise self.error("an {answer} block needs the answer's text")
        node = reading_answer()
        self.state.nested_parse(self.content, self.content_offset, node)
        return [node]


def setup(app):
    plain = (visit_reading_answer_plain, depart_reading_answer_plain)
    app.add_node(reading_answer, html=(visit_reading_answer_html, depart_reading_answer_html),
                 latex=plain, text=plain, man=plain, texinfo=plain)
    app.add_directive("answer", AnswerDirective)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
