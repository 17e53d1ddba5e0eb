// The security net's signal families in every language it reads (en, es, de, fr, pt). Each case is a fresh wording of
// one kind of report, written for this file and not taken from eval/tickets.jsonl, so a family keyed to the eval
// set's phrases fails here; each family also has negatives (how-to questions, negations, everyday sentences).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { detectSecuritySignal } from '../../../src/triage/security/index.ts';

const kindsOf = (body: string) => detectSecuritySignal('question', body).signals.map((s) => s.kind);

type Case = { lang: string; body: string; expect: string[] };

const families: Record<string, Case[]> = {
  "another party's data": [
    {
      lang: 'en',
      body: 'The weekly digest we got this morning lists the targets of a different organisation.',
      expect: ['foreign_data'],
    },
    {
      lang: 'es',
      body: 'En el panel de informes nos aparecen los resultados de otra compañía.',
      expect: ['foreign_data'],
    },
    {
      lang: 'de',
      body: 'Im Dashboard sehen wir seit heute die Scans eines anderen Unternehmens.',
      expect: ['foreign_data'],
    },
    {
      lang: 'fr',
      body: "Dans l'export CSV, on voit les résultats d'un autre client, avec ses domaines.",
      expect: ['foreign_data'],
    },
    { lang: 'pt', body: 'O relatório que recebemos hoje traz os dados de outra empresa.', expect: ['foreign_data'] },
  ],
  'still works after removal': [
    {
      lang: 'en',
      body: 'We rotated the webhook secret last week, yet the old one keeps being accepted.',
      expect: ['access_after_removal'],
    },
    {
      lang: 'es',
      body: 'Dimos de baja a un contratista el viernes y su usuario todavía puede entrar al panel.',
      expect: ['access_after_removal'],
    },
    {
      lang: 'de',
      body: 'Den Token haben wir vorgestern widerrufen, er funktioniert aber immer noch.',
      expect: ['access_after_removal'],
    },
    {
      lang: 'fr',
      body: "Nous avons désactivé le compte d'un ancien salarié, mais sa session fonctionne encore.",
      expect: ['access_after_removal'],
    },
    {
      lang: 'pt',
      body: 'Revogamos o token ontem e ele continua funcionando nas chamadas à API.',
      expect: ['access_after_removal'],
    },
  ],
  'restricted role does more': [
    {
      lang: 'en',
      body: 'A user with the auditor role was able to edit the scan schedule.',
      expect: ['privilege_bypass'],
    },
    {
      lang: 'es',
      body: 'Un usuario con rol de solo lectura pudo eliminar un objetivo del proyecto.',
      expect: ['privilege_bypass'],
    },
    { lang: 'de', body: 'Ein Betrachter konnte heute ein komplettes Projekt löschen.', expect: ['privilege_bypass'] },
    {
      lang: 'fr',
      body: "Un membre en lecture seule a pu modifier les paramètres SSO de l'organisation.",
      expect: ['privilege_bypass'],
    },
    {
      lang: 'pt',
      body: 'Um convidado com acesso somente leitura conseguiu excluir o relatório.',
      expect: ['privilege_bypass'],
    },
  ],
  'guessable links that open without login': [
    {
      lang: 'en',
      body: 'Download links are incrementing numbers and they open in a logged-out browser.',
      expect: ['id_tampering', 'no_login_needed'],
    },
    {
      lang: 'es',
      body: 'Los enlaces de exportación son consecutivos y se abren sin iniciar sesión.',
      expect: ['id_tampering', 'no_login_needed'],
    },
    {
      lang: 'de',
      body: 'Die Freigabe-URLs sind fortlaufend nummeriert und lassen sich ohne Login abrufen.',
      expect: ['id_tampering', 'no_login_needed'],
    },
    {
      lang: 'fr',
      body: "Les liens de partage sont prévisibles et s'affichent sans être connecté.",
      expect: ['id_tampering', 'no_login_needed'],
    },
    {
      lang: 'pt',
      body: 'Os links de compartilhamento são sequenciais e abrem sem login.',
      expect: ['id_tampering', 'no_login_needed'],
    },
  ],
  'activity nobody recognises': [
    {
      lang: 'en',
      body: 'The audit log shows a key created at 02:40 and nobody on the platform team set that up.',
      expect: ['disowned_activity', 'account_activity'],
    },
    {
      lang: 'es',
      body: 'Vemos tres inicios de sesión desde Brasil y ninguno de nosotros estaba allí.',
      expect: ['disowned_activity', 'account_activity'],
    },
    {
      lang: 'de',
      body: 'Im Protokoll stehen nächtliche Anmeldungen, keiner von uns war zu der Zeit online.',
      expect: ['disowned_activity', 'account_activity'],
    },
    {
      lang: 'fr',
      body: 'Il y a des connexions à 3h12 que nous ne reconnaissons pas.',
      expect: ['disowned_activity', 'account_activity'],
    },
    {
      lang: 'pt',
      body: 'Apareceram sessões ativas de um dispositivo que não reconhecemos.',
      expect: ['disowned_activity', 'account_activity'],
    },
  ],
  'secret in a public place': [
    {
      lang: 'en',
      body: 'Our publishing token ended up in the tarball anyone who installs the package receives.',
      expect: ['credential', 'public_place'],
    },
    {
      lang: 'es',
      body: 'Un compañero subió por error nuestra clave de API a un repositorio público.',
      expect: ['credential', 'public_place'],
    },
    {
      lang: 'de',
      body: 'Unser Passwort für die API steht in einem öffentlichen Forum.',
      expect: ['credential', 'public_place'],
    },
    { lang: 'fr', body: "Notre jeton d'accès a été publié sur un forum.", expect: ['credential', 'public_place'] },
    {
      lang: 'pt',
      body: 'A senha do serviço ficou exposta num repositório público.',
      expect: ['credential', 'public_place'],
    },
  ],
  'security vocabulary, inflected': [
    { lang: 'en', body: 'We believe there are two security flaws in the invite flow.', expect: ['security_term'] },
    {
      lang: 'es',
      body: 'Encontramos varios fallos de seguridad en el formulario de acceso.',
      expect: ['security_term'],
    },
    { lang: 'de', body: 'Wir haben eine Sicherheitslücke in Ihrer API gefunden.', expect: ['security_term'] },
    {
      lang: 'fr',
      body: 'Nous avons trouvé plusieurs failles dans votre formulaire de connexion.',
      expect: ['security_term'],
    },
    { lang: 'pt', body: 'Encontrei uma injeção de SQL no campo de busca.', expect: ['security_term'] },
  ],
  'someone poses as the company': [
    {
      lang: 'es',
      body: 'Recibimos una factura falsa con su logo que pide pagar a otra cuenta.',
      expect: ['impersonation'],
    },
    {
      lang: 'de',
      body: 'Eine E-Mail gibt sich als Ihr Support aus und fordert unser Passwort.',
      expect: ['impersonation'],
    },
    {
      lang: 'fr',
      body: 'Un faux mail avec votre logo nous demande nos identifiants de connexion.',
      expect: ['impersonation'],
    },
    { lang: 'pt', body: 'Chegou uma fatura falsa com os novos dados bancários de vocês.', expect: ['impersonation'] },
  ],
};

describe('security families in five languages', () => {
  for (const [family, cases] of Object.entries(families)) {
    for (const c of cases) {
      test(`${family} (${c.lang}) escalates with ${c.expect.join(' + ')}`, () => {
        const assessment = detectSecuritySignal('question', c.body);
        const kinds = assessment.signals.map((s) => s.kind);
        for (const kind of c.expect)
          assert.ok(kinds.includes(kind as never), `${kind} missing from ${kinds.join(', ')}`);
        assert.equal(assessment.escalate, true, `score ${assessment.score}`);
      });
    }
  }
});

const negatives: { lang: string; why: string; body: string }[] = [
  { lang: 'en', why: 'a how-to about roles', body: 'Can a viewer delete scans, or only admins?' },
  {
    lang: 'en',
    why: 'a how-to about public links',
    body: 'How do I make a share link that works without login for our auditor?',
  },
  {
    lang: 'en',
    why: 'asking whether the scanner covers a class',
    body: 'Stored XSS coverage for GraphQL: do you test mutations too?',
  },
  {
    lang: 'en',
    why: 'removal and "still works" about a column',
    body: 'I removed the severity column and the filter still works, nice.',
  },
  { lang: 'es', why: 'how to remove a leaver', body: '¿Cómo puedo eliminar a un usuario que dejó la empresa?' },
  { lang: 'es', why: 'a how-to about a role', body: '¿Puede un lector borrar informes?' },
  {
    lang: 'es',
    why: 'sharing with another company on purpose',
    body: 'Queremos compartir el informe con otra empresa, nuestro auditor.',
  },
  { lang: 'de', why: 'a negated permission', body: 'Ein Betrachter kann keine Scans löschen, das ist richtig so.' },
  { lang: 'de', why: 'a locked account', body: 'Mein Konto ist immer noch gesperrt, ich komme nicht rein.' },
  { lang: 'fr', why: 'a how-to about a read-only member', body: 'Comment inviter un membre en lecture seule ?' },
  {
    lang: 'fr',
    why: 'a rejected 2FA code',
    body: "Je n'arrive pas à me connecter depuis que j'ai changé de téléphone, le code 2FA est refusé.",
  },
  { lang: 'pt', why: 'how to rotate a key', body: 'Como faço para revogar uma chave da API sem quebrar o pipeline?' },
  {
    lang: 'pt',
    why: 'a filter that keeps working',
    body: 'Removi a coluna e o filtro continua funcionando, obrigado!',
  },
];

describe('security families stay quiet on everyday tickets', () => {
  for (const n of negatives) {
    test(`${n.why} (${n.lang}) does not escalate`, () => {
      const assessment = detectSecuritySignal('question', n.body);
      assert.equal(assessment.escalate, false, `escalated: ${kindsOf(n.body).join(', ')} = ${assessment.score}`);
    });
  }
});

describe('incident or weakness', () => {
  test('a secret of ours in a public place is an incident (exposure has happened)', () => {
    assert.equal(detectSecuritySignal('key', 'Your admin API token is in a public gist since Monday.').incident, true);
  });
  test("the customer's own secret in a public place escalates as a weakness theirs to rotate", () => {
    const a = detectSecuritySignal('key', 'Our API token is in a public gist since Monday.');
    assert.equal(a.escalate, true);
    assert.equal(a.incident, false);
  });
  test('guessable ids alone are a weakness, not an incident', () => {
    const a = detectSecuritySignal('links', 'Share links are sequential and open without logging in.');
    assert.equal(a.escalate, true);
    assert.equal(a.incident, false);
  });
});
