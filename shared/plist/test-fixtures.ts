// Runtime: tests only. Text fixtures shared by the plist tests and the default-document test.

/** Copied verbatim from the IPNetSentryX walk-through (rule 2.3, "promiscuous resets"). */
export const WALKTHROUGH_RULE_2_3 = `(
{
children = (
{
enabled = 1;
expandedState = 1;
filterAction = 7;
filterActionName = Delay;
nodeNumber = "2.3.1";
property = 14;
propertyName = "TCP header flags";
propertyValue = rst;
relation = 0;
relationName = "==";
}
);
enabled = 1;
filterAction = 0;
filterActionName = "->";
nodeName = "promiscuous resets";
nodeNumber = "2.3";
property = 2;
propertyName = Direction;
propertyValue = inbound;
relation = 0;
relationName = "==";
}
)`;

/** Lines without their indentation: the walk-through's text lost its indentation on the web. */
export const unindented = (text: string): string =>
  text
    .split('\n')
    .map((line) => line.trim())
    .join('\n')
    .trim();
