// Runtime: tests only. A document written the way IPNetSentryX writes its own (`.nsy`: an XML
// property list with the rule tree under `SentryDocument_filterTable`), with every construct its
// documents use that treewall must read: written for treewall's tests, not copied from the
// original's files. Rule numbers below are the ones the tests name.

const rule = (fields: Record<string, string | number>, children?: string[]): string => {
  const keys = Object.keys(fields).sort();
  const lines = keys.map((k) => {
    const v = fields[k]!;
    const escaped = String(v).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    return typeof v === 'number'
      ? `<key>${k}</key><integer>${v}</integer>`
      : `<key>${k}</key><string>${escaped}</string>`;
  });
  const kids = children ? `<key>children</key><array>${children.join('\n')}</array>` : '';
  return `<dict>${kids}${lines.join('')}</dict>`;
};

/** Numbers of the rules that carry each construct (see the tree below). */
export const ORIGINAL_CONSTRUCTS = {
  nestedComment: '1.1', // Dest port `631 (IPP (printing))`
  leadingNumber: '1.2', // Protocol `17 UDP` (a number, then words)
  ipOptions: '1.3', // IPOptions `7,9 (record and strict route)`, old property code 12
  fragment: '1.4', // IPFragmentOffset `1-40`
  loopback: '1.5', // Interface `Loopback (lo0)`
  deleteNoLog: '1.6', // `Delete no log`, no code at all
  skip: '2.1', // `++`
  skipped: '2.2', // the rule `++` skips
  keepInvalid: '2.3', // `Keep invalid` with a description for a parameter
  includeInvalid: '2.4', // `Include == invalid`
  trigger: '2.5', // Trigger with a description for a parameter
  exitGroup: '3.1.1', // `Break` (Exit group) inside a Group
  noEnabledKey: '3.2', // no `enabled` key: off
  dateEpoch: '4.1', // Date and time in seconds since 1970
  email: '4.2', // Email with a description, no address
  resetParent: '4.3', // Reset parent with a description
  url: '4.4', // URL with a description
  modem: '5', // off: Interface `Dial-up modem (ppp1)`
  rateIn: '5.1', // Rate limit in `64K`
  rateOut: '5.2', // Rate limit out `1.5M`
  dataContent: '6.1', // Data content (payload search, fixed-offset compares)
  delay: '6.2', // Delay (NFQUEUE through the helper's queue worker)
} as const;

/** The document, as the original's XML property list. */
export const ORIGINAL_STYLE_DOCUMENT = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple Computer//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
<key>SentryDocument_excludeNet</key><string>0.0.0.0/32</string>
<key>SentryDocument_filterStyleArray</key><array/>
<key>SentryDocument_filterTable</key>
${rule(
  {
    expandedState: 1,
    filterActionName: '->',
    nodeCount: 30,
    propertyName: 'Any',
    relationName: '==',
  },
  [
    rule(
      {
        enabled: '1',
        filterAction: 0,
        filterActionName: '->',
        nodeName: 'hygiene',
        nodeNumber: '1',
        property: 0,
        propertyName: 'Any',
        relation: 0,
        relationName: '==',
      },
      [
        rule({
          enabled: '1',
          filterAction: 5,
          filterActionName: 'Delete',
          nodeNumber: '1.1',
          property: 19,
          propertyName: 'Dest port',
          propertyValue: '631 (IPP (printing))',
          relation: 0,
          relationName: '==',
        }),
        rule({
          enabled: 1,
          filterAction: 4,
          filterActionName: 'Pass',
          nodeNumber: '1.2',
          property: 10,
          propertyName: 'Protocol',
          propertyValue: '17 UDP',
          relation: 1,
          relationName: '!=',
        }),
        rule({
          enabled: '1',
          filterAction: 5,
          filterActionName: 'Delete',
          nodeNumber: '1.3',
          property: 12,
          propertyName: 'IPOptions',
          propertyValue: '7,9 (record and strict route)',
          relation: 0,
          relationName: '==',
        }),
        rule({
          enabled: '1',
          filterAction: 5,
          filterActionName: 'Delete',
          nodeNumber: '1.4',
          property: 11,
          propertyName: 'IPFragmentOffset',
          propertyValue: '1-40',
          relation: 0,
          relationName: '==',
        }),
        rule({
          enabled: '1',
          filterAction: 4,
          filterActionName: 'Pass',
          nodeNumber: '1.5',
          property: 3,
          propertyName: 'Interface',
          propertyValue: 'Loopback (lo0)',
          relation: 0,
          relationName: '==',
        }),
        rule({
          enabled: '1',
          filterActionName: 'Delete no log',
          nodeNumber: '1.6',
          property: 19,
          propertyName: 'Dest port',
          propertyValue: '5353 (Bonjour (mDNS))',
          relation: 0,
          relationName: '==',
        }),
      ],
    ),
    rule(
      {
        enabled: '1',
        filterAction: 0,
        filterActionName: '->',
        nodeName: 'tables',
        nodeNumber: '2',
        property: 2,
        propertyName: 'Direction',
        propertyValue: 'inbound',
        relation: 0,
        relationName: '==',
      },
      [
        rule({
          enabled: '1',
          filterAction: 1,
          filterActionName: '++',
          nodeName: 'not for the mail host',
          nodeNumber: '2.1',
          property: 8,
          propertyName: 'Source net',
          propertyValue: '10.1.2.3',
          relation: 0,
          relationName: '==',
        }),
        rule({
          enabled: '1',
          filterAction: 11,
          filterActionName: 'Trigger',
          nodeNumber: '2.2',
          property: 19,
          propertyName: 'Dest port',
          propertyValue: '25 (SMTP)',
          relation: 0,
          relationName: '==',
        }),
        rule({
          enabled: '1',
          filterAction: 9,
          filterActionName: 'Keep invalid',
          nodeNumber: '2.3',
          parameter: 'remember the odd ones',
          property: 16,
          propertyName: 'TCP header flags',
          propertyValue: 'syn,fin',
          relation: 0,
          relationName: '==',
        }),
        rule({
          enabled: '1',
          filterAction: 5,
          filterActionName: 'Delete',
          nodeNumber: '2.4',
          property: 4,
          propertyName: 'Include',
          propertyValue: 'invalid',
          relation: 0,
          relationName: '==',
        }),
        rule({
          enabled: '1',
          filterAction: 11,
          filterActionName: 'Trigger',
          nodeNumber: '2.5',
          parameter: 'ban until someone looks',
          property: 19,
          propertyName: 'Dest port',
          propertyValue: '0-5 (probes)',
          relation: 0,
          relationName: '==',
        }),
      ],
    ),
    rule(
      {
        enabled: '1',
        filterAction: 2,
        filterActionName: 'Group',
        nodeName: 'services',
        nodeNumber: '3',
        property: 2,
        propertyName: 'Direction',
        propertyValue: 'inbound',
        relation: 0,
        relationName: '==',
      },
      [
        rule(
          {
            enabled: '1',
            filterAction: 0,
            filterActionName: '->',
            nodeNumber: '3.1',
            property: 16,
            propertyName: 'TCP header flags',
            propertyValue: 'syn,-ack',
            relation: 0,
            relationName: '==',
          },
          [
            rule({
              enabled: '1',
              filterAction: 3,
              filterActionName: 'Break',
              nodeNumber: '3.1.1',
              property: 19,
              propertyName: 'Dest port',
              propertyValue: '22 (ssh (remote login))',
              relation: 0,
              relationName: '==',
            }),
          ],
        ),
        rule({
          filterAction: 3,
          filterActionName: 'Break',
          nodeName: 'web sharing (off: no enabled key)',
          nodeNumber: '3.2',
          property: 19,
          propertyName: 'Dest port',
          propertyValue: '80 (HTTP)',
          relation: 0,
          relationName: '==',
        }),
        rule({
          enabled: '1',
          filterAction: 5,
          filterActionName: 'Delete',
          nodeNumber: '3.3',
          property: 0,
          propertyName: 'Any',
          relation: 0,
          relationName: '==',
        }),
      ],
    ),
    rule(
      {
        enabled: '1',
        filterAction: 0,
        filterActionName: '->',
        nodeName: 'watch',
        nodeNumber: '4',
        property: 26,
        propertyName: 'Idle seconds',
        propertyValue: '120',
        relation: 3,
        relationName: '>=',
      },
      [
        rule({
          enabled: '1',
          filterAction: 16,
          filterActionName: 'Log',
          nodeNumber: '4.1',
          property: 25,
          propertyName: 'Date and time',
          propertyValue: '1893456000',
          relation: 4,
          relationName: '<=',
        }),
        rule({
          enabled: '1',
          filterAction: 19,
          filterActionName: 'Email',
          nodeNumber: '4.2',
          parameter: 'print server quiet',
          property: 28,
          propertyName: 'Parent match count',
          propertyValue: '1',
          relation: 0,
          relationName: '==',
        }),
        rule({
          enabled: '1',
          filterAction: 21,
          filterActionName: 'Reset parent',
          nodeNumber: '4.3',
          parameter: 'start over after an hour',
          property: 27,
          propertyName: 'Parent idle seconds',
          propertyValue: '3600',
          relation: 3,
          relationName: '>=',
        }),
        rule({
          enabled: '1',
          filterAction: 20,
          filterActionName: 'URL',
          nodeNumber: '4.4',
          parameter: 'wake the print server',
          property: 28,
          propertyName: 'Parent match count',
          propertyValue: '2',
          relation: 0,
          relationName: '==',
        }),
      ],
    ),
    rule(
      {
        enabled: '0',
        filterAction: 0,
        filterActionName: '->',
        nodeName: 'slow link',
        nodeNumber: '5',
        property: 3,
        propertyName: 'Interface',
        propertyValue: 'Dial-up modem (ppp1)',
        relation: 0,
        relationName: '==',
      },
      [
        rule({
          enabled: '1',
          filterAction: 13,
          filterActionName: 'Rate limit in',
          nodeNumber: '5.1',
          parameter: '64K',
          property: 0,
          propertyName: 'Any',
          relation: 0,
          relationName: '==',
        }),
        rule({
          enabled: '1',
          filterAction: 14,
          filterActionName: 'Rate limit out',
          nodeNumber: '5.2',
          parameter: '1.5M',
          property: 0,
          propertyName: 'Any',
          relation: 0,
          relationName: '==',
        }),
      ],
    ),
    rule(
      {
        enabled: '1',
        filterAction: 0,
        filterActionName: '->',
        nodeName: 'payload and resets',
        nodeNumber: '6',
        property: 10,
        propertyName: 'Protocol',
        propertyValue: '6 (TCP)',
        relation: 0,
        relationName: '==',
      },
      [
        rule({
          enabled: '1',
          filterAction: 7,
          filterActionName: 'Drop connection',
          nodeNumber: '6.1',
          property: 20,
          propertyName: 'Data content',
          propertyValue: 'cmd.exe',
          relation: 2,
          relationName: 'a=A',
        }),
        rule({
          enabled: '1',
          filterAction: 12,
          filterActionName: 'Delay',
          nodeNumber: '6.2',
          property: 16,
          propertyName: 'TCP header flags',
          propertyValue: 'rst',
          relation: 0,
          relationName: '==',
        }),
      ],
    ),
  ],
)}
<key>SentryDocument_parameter</key><integer>0</integer>
</dict>
</plist>
`;
