// What the customer says happened to the service, read the same way by the rules provider (to pick outage and its
// priority) and by the policy guard (a model's `critical`, which pings @here, needs this or a security incident
// behind it). Reads TicketText.clean, so a sentence telling the triage "this is a P0 outage" is not evidence.
import type { TicketText } from './ticket-text.ts';

export interface ImpactAssessment {
  /** The service or a feature is unavailable or answering 5xx. */
  outage: boolean;
  /** Many people, calls or runs are affected, not one user once. */
  wide: boolean;
  /** Data the customer had is gone. */
  dataLoss: boolean;
}

// A status code, not an amount or a count: "$1,500", "2.500 €", "500 findings" are not errors.
const STATUS_5XX =
  /(?<![\d.,$€£=])(?<!(?:items|limit|count|total|size|rows|results|records|entries) )\b(?:http |error |erreur |erro |fehler |status )?5(?:00|02|03|04)\b(?![.,]\d|\s?(?:€|eur|usd|\$)|\s(?:findings|rows|seats|users|scans|requests per|ms\b|dollars|euros|items|entries|records|results|ids|lines|pages|events|keys|assets|endpoints))|\binternal server error\b|\bbad gateway\b|\bservice unavailable\b|\bgateway time-?out\b/;
const UNAVAILABLE =
  /\b(?:(?:is|are|went|goes|completely|totally) down|down for (?:everyone|all|us|the whole)|outage|nothing (?:loads|works)|(?:won't|doesn't|does not|can't|cannot|will not) (?:load|open)|(?:white|blank) (?:page|screen)|endless spinner|unreachable|not reachable|offline|caid[oa]|no carga|fuera de servicio|ausgefallen|nicht erreichbar|ladt nicht|en panne|inaccessible|ne (?:se )?charge pas|hors service|fora do ar|nao carrega|indisponivel|no disponible)\b/;
const WIDE =
  /\b(?:everyone|everybody|every (?:user|one of us|member|call|request|page|pipeline|scan|export|run|job|endpoint)|all (?:of )?(?:our |my |the )?(?:users|customers|accounts|team|staff|employees|pipelines|calls|requests|pages|scans|exports|endpoints|builds|jobs|colleagues|members|people)|all \d+|(?:entire|whole) (?:team|company|organi[sz]ation|org|platform|app)|no(?:body| one) (?:on our team |here |in our (?:org|company|team) )?(?:can|could|is able)|company-?wide|across (?:all|the board)|for me and (?:\w+ )?(?:colleagues|coworkers|others)|other (?:countries|regions|offices)|(?:all|every)thing|production is down|toda (?:la|nuestra) (?:empresa|organizacion)|todo (?:el|nuestro) equipo|todos|alle (?:benutzer|nutzer|kollegen|mitarbeiter)|(?:das |unser )?ganze(?:s)? (?:team|unternehmen)|tout le monde|toute (?:notre|l')? ?equipe|toda a (?:equipe|empresa))\b/;
const DATA_LOSS =
  /\b(?:(?:data|findings|scans|history|reports|targets|projects|records|results)\b[^.\n]{0,30}\b(?:(?:is|are|was|were|has been|have been|got) )?(?:gone|lost|wiped|erased|deleted|disappeared|vanished)|(?:lost|deleted|wiped) all (?:of )?(?:our|my|the)|datos (?:perdidos|borrados)|perdimos (?:los|todos)|daten (?:sind )?(?:verloren|weg|geloscht)|donnees (?:perdues|supprimees|effacees)|dados (?:perdidos|apagados|sumiram))\b/;

export function assessImpact(text: TicketText): ImpactAssessment {
  const t = text.clean;
  return { outage: STATUS_5XX.test(t) || UNAVAILABLE.test(t), wide: WIDE.test(t), dataLoss: DATA_LOSS.test(t) };
}
